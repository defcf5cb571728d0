"""The mechanism's public face: documents library, news and events, links, country pages
(storage/content_tables.py).

Revision ID: 0101
"""
from alembic import op
import sqlalchemy as sa

revision = "0101"
down_revision = "0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("country", sa.String(200)),
        sa.Column("doc_type", sa.String(30), nullable=False),
        sa.Column("published_on", sa.Date, nullable=False),
        sa.Column("titles", sa.Text, nullable=False),
        sa.Column("summaries", sa.Text, nullable=False),
        sa.Column("access", sa.String(20), nullable=False),
        sa.Column("participants", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("file_size", sa.Integer, nullable=False),
        sa.Column("file_key", sa.String(64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_document_listing", "document", ["state", "published_on"])
    op.create_index("ix_document_country", "document", ["country"])
    op.create_table(
        "document_indicator",
        sa.Column("document_id", sa.Integer, sa.ForeignKey("document.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("dataflow_urn", sa.String(600), primary_key=True),
    )
    op.create_table(
        "news_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("titles", sa.Text, nullable=False),
        sa.Column("bodies", sa.Text, nullable=False),
        sa.Column("places", sa.Text, nullable=False),
        sa.Column("starts_on", sa.Date),
        sa.Column("ends_on", sa.Date),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_news_item_listing", "news_item", ["state", "published_at"])
    op.create_table(
        "portal_link",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("titles", sa.Text, nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "country_page",
        sa.Column("country", sa.String(200), primary_key=True),
        sa.Column("about", sa.Text, nullable=False),
        sa.Column("institutions", sa.Text, nullable=False),
        sa.Column("contacts", sa.Text, nullable=False),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("country_page")
    op.drop_table("portal_link")
    op.drop_table("news_item")
    op.drop_table("document_indicator")
    op.drop_table("document")
