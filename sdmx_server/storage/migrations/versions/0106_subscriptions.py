"""Subscriptions and webhook deliveries (issue 20) (placeholder: its issue fills it in; empty until then, so the chain of revisions is fixed in advance
for work done side by side).

Revision ID: 0106
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0106"
down_revision = "0105"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
