"""Artefacts, their references, users, roles and API tokens.

Revision ID: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "artefact",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("agency_id", sa.String(200), nullable=False),
        sa.Column("resource_id", sa.String(200), nullable=False),
        sa.Column("version", sa.String(60), nullable=False),
        sa.Column("is_final", sa.Boolean, nullable=False),
        sa.Column("urn", sa.String(600), nullable=False, unique=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_artefact_lookup", "artefact", ["type", "agency_id", "resource_id"])
    op.create_table(
        "artefact_reference",
        sa.Column("source_id", sa.Integer, sa.ForeignKey("artefact.id", ondelete="CASCADE"), nullable=False),
        sa.Column("target_urn", sa.String(600), nullable=False),
        sa.UniqueConstraint("source_id", "target_urn"),
    )
    op.create_index("ix_artefact_reference_target", "artefact_reference", ["target_urn"])
    op.create_table(
        "change_log",
        sa.Column("scope", sa.String(40), primary_key=True),
        sa.Column("changed_at", TZ, nullable=False),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(120), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("country", sa.String(20)),
        sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("role", sa.String(60), nullable=False),
        sa.Column("dataflow_urn", sa.String(600), nullable=False, server_default=""),
        sa.UniqueConstraint("user_id", "role", "dataflow_urn"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
        sa.Column("label", sa.String(200), nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
    )


def downgrade() -> None:
    for name in ("api_token", "user_role", "user_account", "change_log", "artefact_reference", "artefact"):
        op.drop_table(name)
