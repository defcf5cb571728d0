"""Search across everything: the text extracted from documents' files, and the full-text index over indicators,
documents, news and events, and country pages (storage/search_tables.py). PostgreSQL: a ``tsvector`` column with a
GIN index (the ``english`` and ``russian`` configurations); SQLite: an FTS5 table of stemmed words. The index is
filled by ``sdmx-server search-reindex`` (and ``init``); every content change keeps it in its own transaction.

Revision ID: 0103
"""
from alembic import op
import sqlalchemy as sa

revision = "0103"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_text",
        sa.Column("document_id", sa.Integer, sa.ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(600), nullable=False),
        sa.Column("lang", sa.String(10), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("access", sa.String(20), nullable=False),
        sa.Column("country", sa.String(200)),
        sa.Column("year", sa.Integer),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
    )
    op.create_index("ix_search_entry_ref", "search_entry", ["kind", "ref"])
    op.create_table(
        "search_entry_indicator",
        sa.Column("entry_id", sa.Integer, sa.ForeignKey("search_entry.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("dataflow_urn", sa.String(600), primary_key=True),
    )
    op.create_index("ix_search_entry_indicator_urn", "search_entry_indicator", ["dataflow_urn"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE search_entry ADD COLUMN tsv tsvector NOT NULL DEFAULT ''::tsvector")
        # fastupdate off: a pending list (what bulk writes leave until a vacuum) is read linearly by every search
        op.execute("CREATE INDEX ix_search_entry_tsv ON search_entry USING gin (tsv) WITH (fastupdate = off)")
    else:
        # stemmed words (storage/search_index.py stems them in Python: FTS5 has no Russian stemmer); rowid = entry id
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(title, summary, body, tokenize = 'unicode61')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_index("ix_search_entry_indicator_urn", table_name="search_entry_indicator")
    op.drop_table("search_entry_indicator")
    op.drop_index("ix_search_entry_ref", table_name="search_entry")
    op.drop_table("search_entry")
    op.drop_table("document_text")
