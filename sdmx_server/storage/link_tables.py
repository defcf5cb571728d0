"""The tables of links to national databases and their runs (issue 20; migration 0105), on tables.py's MetaData.

A link names where a country's figures come from (an SQL query, a CSV or Excel file, an SDMX REST service),
the dataflow they feed and the StructureMap translating them. Its settings never hold a secret in clear:
passwords are ``${ENV_VAR}`` references resolved when the link runs (docs/interlinking.md).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

data_link = Table(
    "data_link", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("provider_id", String(100), nullable=False),
    Column("dataflow_urn", String(600), nullable=False),
    Column("source_kind", String(20), nullable=False),  # sql, csv, excel, sdmx-rest
    Column("source", Text, nullable=False),  # JSON settings of the source; secrets only as ${ENV_VAR}
    Column("structure_map_urn", String(600)),  # None for sdmx-rest (already SDMX)
    Column("auto_release", Boolean, nullable=False, default=False),
    Column("interval_seconds", Integer),  # None: run only on demand
    Column("next_run_at", DateTime(timezone=True)),  # claimed atomically by the scheduler (interlink.schedule)
    Column("cursor", Text),  # where an incremental source stopped (sdmx-rest: updatedAfter)
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

data_link_run = Table(
    "data_link_run", metadata,
    Column("id", Integer, primary_key=True),
    Column("link_id", Integer, ForeignKey("data_link.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(20), nullable=False),  # running, succeeded, failed
    Column("dry_run", Boolean, nullable=False, default=False),
    Column("trigger", String(20), nullable=False),  # cli, schedule, api
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("figures_submitted", Integer, nullable=False, default=0),
    Column("submission_id", Integer),  # the submission it made (not a foreign key: a run outlives a purge)
    Column("errors", Text),  # JSON list of problems (row, rule, message), at most a bounded number
    Column("owner", String(300), nullable=False),  # the process running it (storage.job_store.this_process)
    Index("ix_data_link_run", "link_id", "id"),
)
