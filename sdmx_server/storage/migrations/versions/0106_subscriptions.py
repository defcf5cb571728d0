"""Subscriptions and webhook deliveries (issue 20): subscriptions of users to dataflows, the deliveries queued for
them with their delivery log, and the cursors of harvests from national SDMX REST services
(storage/subscription_tables.py).

Revision ID: 0106
"""
from alembic import op
import sqlalchemy as sa

revision = "0106"
down_revision = "0105"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "harvest_cursor",
        sa.Column("source", sa.String(200), primary_key=True),
        sa.Column("base_url", sa.Text, nullable=False),
        sa.Column("dataflow", sa.String(600), nullable=False),
        sa.Column("cursor", sa.DateTime(timezone=True)),
        sa.Column("etag", sa.String(1000)),
        sa.Column("etag_url", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "subscription",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("provider_id", sa.String(200)),
        sa.Column("events", sa.String(100), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_subscription_flow", "subscription", ["dataflow_urn", "active"])
    op.create_index("ix_subscription_user", "subscription", ["user_id", "id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subscription_id", sa.Integer, sa.ForeignKey("subscription.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("provider_id", sa.String(200)),
        sa.Column("submission_id", sa.Integer),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["state", "next_at"])
    op.create_index("ix_webhook_delivery_subscription", "webhook_delivery", ["subscription_id", "id"])
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("delivery_id", sa.Integer, sa.ForeignKey("webhook_delivery.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Integer),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("milliseconds", sa.Integer, nullable=False),
    )
    op.create_index("ix_webhook_attempt_delivery", "webhook_attempt", ["delivery_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempt_delivery", table_name="webhook_attempt")
    op.drop_table("webhook_attempt")
    op.drop_index("ix_webhook_delivery_subscription", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("ix_subscription_user", table_name="subscription")
    op.drop_index("ix_subscription_flow", table_name="subscription")
    op.drop_table("subscription")
    op.drop_table("harvest_cursor")
