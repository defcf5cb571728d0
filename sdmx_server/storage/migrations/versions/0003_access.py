"""Sharing (grants, publicity), the audit log and failed-login counters.

Revision ID: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "data_grant",
        sa.Column("owner_provider", sa.String(200), primary_key=True),
        sa.Column("dataflow_urn", sa.String(600), primary_key=True),
        sa.Column("grantee_provider", sa.String(200), primary_key=True),
        sa.Column("granted_by", sa.String(120)),
        sa.Column("granted_at", TZ, nullable=False),
    )
    op.create_index("ix_data_grant_grantee", "data_grant", ["grantee_provider", "dataflow_urn"])
    op.create_table(
        "data_publicity",
        sa.Column("owner_provider", sa.String(200), primary_key=True),
        sa.Column("dataflow_urn", sa.String(600), primary_key=True),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("changed_by", sa.String(120)),
        sa.Column("changed_at", TZ, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(600), nullable=False),
        sa.Column("country", sa.String(20)),
        sa.Column("details", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_audit_log_country", "audit_log", ["country", "id"])
    op.create_table(
        "login_failure",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failed_at", TZ, nullable=False),
        sa.Column("blocked_until", TZ),
    )


def downgrade() -> None:
    for name in ("login_failure", "audit_log", "data_publicity", "data_grant"):
        op.drop_table(name)
