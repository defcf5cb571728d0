"""The table of saved reports (issue 19; migration 0101), on the same ``MetaData`` as tables.py.

A saved report is a question, not an answer: the indicator and the report's query string (selection and
layout). Opening it runs the report again with the opener's visibility at that moment.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

saved_report = Table(
    "saved_report", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),  # unique per user: saving under a name again replaces it
    Column("dataflow_urn", String(600), nullable=False),
    Column("query", Text, nullable=False),  # the report's query string, as its URL carries it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ux_saved_report_name", "user_id", "name", unique=True),
)
