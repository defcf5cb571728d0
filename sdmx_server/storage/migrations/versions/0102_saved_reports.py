"""Saved reports: a signed-in user's named report (an indicator and the report's query string: selection and
layout). Only the question is kept, never figures: a saved report is drawn afresh, with the visibility of
the moment it is opened (storage/saved_report_tables.py).

Revision ID: 0102
"""
from alembic import op
import sqlalchemy as sa

revision = "0102"
down_revision = "0101"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ux_saved_report_name", "saved_report", ["user_id", "name"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_saved_report_name", table_name="saved_report")
    op.drop_table("saved_report")
