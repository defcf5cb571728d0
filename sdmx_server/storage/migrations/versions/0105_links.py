"""Interlinking: links to national databases, their runs and cursors (issue 20; storage/link_tables.py).

Revision ID: 0105
"""
from alembic import op
import sqlalchemy as sa

revision = "0105"
down_revision = "0104"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_link",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("provider_id", sa.String(100), nullable=False),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("source_kind", sa.String(20), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("structure_map_urn", sa.String(600)),
        sa.Column("auto_release", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("interval_seconds", sa.Integer),
        sa.Column("next_run_at", sa.DateTime(timezone=True)),
        sa.Column("cursor", sa.Text),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "data_link_run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("link_id", sa.Integer, sa.ForeignKey("data_link.id", ondelete="CASCADE"), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("rows_read", sa.Integer, nullable=False, server_default="0"),
        sa.Column("figures_submitted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("submission_id", sa.Integer),
        sa.Column("errors", sa.Text),
        sa.Column("owner", sa.String(300), nullable=False),
    )
    op.create_index("ix_data_link_run", "data_link_run", ["link_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_data_link_run", table_name="data_link_run")
    op.drop_table("data_link_run")
    op.drop_table("data_link")
