"""Tables of search across everything (issue 18, item 6; migration 0103).

``document_text`` (the text extracted from a document's file at upload) is data: it is declared on the shared
``metadata``, so exports carry it. The index itself (``search_entry`` and its indicators) is derived: every row can
be made again from the content (``sdmx-server search-reindex``), so it is declared on a ``MetaData`` of its own
that exports and schema comparisons leave alone; an import rebuilds it. Each engine adds its own full-text part in
the migration, which SQLAlchemy cannot declare: PostgreSQL a ``tsv tsvector`` column with a GIN index, SQLite an
FTS5 table ``search_fts`` whose rowid is the entry's id.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

from .tables import metadata

# The text of a document's file (PDF, DOCX, XLSX, ODT), bounded (content/document_text.py), kept so the index can
# be rebuilt without reading the files again.
document_text = Table(
    "document_text", metadata,
    Column("document_id", Integer, ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
    Column("text", Text, nullable=False),
)

search_metadata = MetaData()

# One searchable thing in one portal language. ``kind``: indicator | document | news | event | country; ``ref``:
# the dataflow URN, the document's or news item's id, the country's provider id. Who may find it is decided from
# ``state`` (only ``published`` is ever found), ``access`` (public | participants: signed-in users of participating
# countries | restricted: a restricted document, by the owner's sharing) and ``country`` (the owner).
search_entry = Table(
    "search_entry", search_metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("ref", String(600), nullable=False),
    Column("lang", String(10), nullable=False),
    Column("state", String(20), nullable=False),
    Column("access", String(20), nullable=False),
    Column("country", String(200)),
    Column("year", Integer),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),  # what a result shows under its title (the first few hundred characters)
    Index("ix_search_entry_ref", "kind", "ref"),
    # no index on lang: PostgreSQL would rather read a language's every entry by it than use the GIN index
)

# The indicators an entry is about: the dataflow itself, or a document's linked indicators (their sharing decides
# who finds a restricted document; the indicator facet counts them).
search_entry_indicator = Table(
    "search_entry_indicator", search_metadata,
    Column("entry_id", Integer, ForeignKey("search_entry.id", ondelete="CASCADE"), primary_key=True),
    Column("dataflow_urn", String(600), primary_key=True),
    Index("ix_search_entry_indicator_urn", "dataflow_urn"),
)
