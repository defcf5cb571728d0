"""The release calendar's table (issue 18, item 5; migration 0104), on the same ``MetaData`` as tables.py.

An entry says that a country (data provider) will release an indicator's figures for some periods at a date and
time; never the figures themselves. ``state``: announced (by hand) → scheduled (a validated submission's embargo
is set, ``submission_id`` links it) → released (the release was applied), or cancelled. ``sequence`` counts the
changes a calendar client must see (iCalendar SEQUENCE).
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table

from .tables import metadata

STATES = ("announced", "scheduled", "released", "cancelled")

release_calendar = Table(
    "release_calendar", metadata,
    Column("id", Integer, primary_key=True),
    Column("dataflow_urn", String(600), nullable=False),
    Column("provider_id", String(200), nullable=False),
    Column("periods", String(100), nullable=False),  # free text such as "2026-Q3" or "2025"; shown escaped
    Column("release_at", DateTime(timezone=True), nullable=False),  # UTC
    Column("state", String(20), nullable=False),
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="SET NULL")),
    Column("sequence", Integer, nullable=False, default=0),
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_release_calendar_at", "release_at"),
    Index("ix_release_calendar_flow", "dataflow_urn", "provider_id"),
    Index("ux_release_calendar_submission", "submission_id", unique=True),  # NULLs are distinct on both engines
)
