"""Release calendar: announced releases (issue 18, item 5): indicator, country, periods, date and state, linked
to the submission whose embargo it announces; never figures (storage/calendar_tables.py).

Revision ID: 0104
"""
from alembic import op
import sqlalchemy as sa

revision = "0104"
down_revision = "0103"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "release_calendar",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=False),
        sa.Column("periods", sa.String(100), nullable=False),
        sa.Column("release_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submission.id", ondelete="SET NULL")),
        sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_release_calendar_at", "release_calendar", ["release_at"])
    op.create_index("ix_release_calendar_flow", "release_calendar", ["dataflow_urn", "provider_id"])
    op.create_index("ux_release_calendar_submission", "release_calendar", ["submission_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_release_calendar_submission", table_name="release_calendar")
    op.drop_index("ix_release_calendar_flow", table_name="release_calendar")
    op.drop_index("ix_release_calendar_at", table_name="release_calendar")
    op.drop_table("release_calendar")
