"""Release calendar: announced releases (issue 18) (placeholder: its issue fills it in; empty until then, so the chain of revisions is fixed in advance
for work done side by side).

Revision ID: 0104
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0104"
down_revision = "0103"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
