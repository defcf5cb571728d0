"""Tables of reference metadata (data documentation, issue 17; migration 0100).

Declared on the same ``MetaData`` as tables.py, in a module of their own so the data tables' file is
not edited by every feature. A metadata set documents one dataflow for one data provider; a new
submission for the same target is a new version, and the older versions stay as history.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

metadata_set = Table(
    "metadata_set", metadata,
    Column("id", Integer, primary_key=True),
    Column("metadataflow_urn", String(600), nullable=False),
    Column("dataflow_urn", String(600), nullable=False),  # the target indicator
    Column("provider_id", String(200), nullable=False),  # the target country
    Column("set_id", String(200), nullable=False),  # the MetadataSet's own id in the message
    Column("version", Integer, nullable=False),  # 1, 2, ... per (metadataflow, dataflow, provider)
    Column("names", Text, nullable=False),  # JSON {lang: text}
    Column("valid_from", DateTime(timezone=True)),
    Column("valid_to", DateTime(timezone=True)),
    Column("state", String(20), nullable=False),  # pending | validated | released
    Column("submitted_by", String(120)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("released_at", DateTime(timezone=True)),
    Index("ux_metadata_set_version", "metadataflow_urn", "dataflow_urn", "provider_id", "version", unique=True),
    Index("ix_metadata_set_target", "dataflow_urn", "provider_id", "state"),
)

# One reported value of a metadata attribute: coded or plain (``value``) or multilingual (``texts``, JSON
# {lang: text}); a repeated attribute has one row per value, in message order (``position``). Nested
# attributes are stored under their dotted path (``PARENT.CHILD``).
metadata_attribute_value = Table(
    "metadata_attribute_value", metadata,
    Column("id", Integer, primary_key=True),
    Column("metadata_set_id", Integer, ForeignKey("metadata_set.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("attribute", String(600), nullable=False),
    Column("value", Text),
    Column("texts", Text),
    Index("ix_metadata_attribute_value_set", "metadata_set_id", "position"),
)

# Every change of a metadata set's state: who, when, from which state, why.
metadata_set_transition = Table(
    "metadata_set_transition", metadata,
    Column("id", Integer, primary_key=True),
    Column("metadata_set_id", Integer, ForeignKey("metadata_set.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Index("ix_metadata_set_transition", "metadata_set_id", "id"),
)

# Whether the public and every signed-in user may see an owner's released documentation of a dataflow,
# whatever the data's own sharing (a country may document openly figures it keeps confidential). No row: no.
metadata_publicity = Table(
    "metadata_publicity", metadata,
    Column("owner_provider", String(200), primary_key=True),
    Column("dataflow_urn", String(600), primary_key=True),
    Column("is_public", Boolean, nullable=False),
    Column("changed_by", String(120)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
