"""Reference metadata: metadata sets (data documentation per dataflow and provider), their attribute
values, their workflow transitions and whether an owner documents a dataflow publicly (storage/metadata_tables.py).

Revision ID: 0100
"""
from alembic import op
import sqlalchemy as sa

revision = "0100"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metadata_set",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("metadataflow_urn", sa.String(600), nullable=False),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=False),
        sa.Column("set_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("names", sa.Text, nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True)),
        sa.Column("valid_to", sa.DateTime(timezone=True)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submitted_by", sa.String(120)),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ux_metadata_set_version", "metadata_set",
                    ["metadataflow_urn", "dataflow_urn", "provider_id", "version"], unique=True)
    op.create_index("ix_metadata_set_target", "metadata_set", ["dataflow_urn", "provider_id", "state"])
    op.create_table(
        "metadata_attribute_value",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("metadata_set_id", sa.Integer, sa.ForeignKey("metadata_set.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("attribute", sa.String(600), nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("texts", sa.Text),
    )
    op.create_index("ix_metadata_attribute_value_set", "metadata_attribute_value", ["metadata_set_id", "position"])
    op.create_table(
        "metadata_set_transition",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("metadata_set_id", sa.Integer, sa.ForeignKey("metadata_set.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_metadata_set_transition", "metadata_set_transition", ["metadata_set_id", "id"])
    op.create_table(
        "metadata_publicity",
        sa.Column("owner_provider", sa.String(200), primary_key=True),
        sa.Column("dataflow_urn", sa.String(600), primary_key=True),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("changed_by", sa.String(120)),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("metadata_publicity")
    op.drop_table("metadata_set_transition")
    op.drop_table("metadata_attribute_value")
    op.drop_table("metadata_set")
