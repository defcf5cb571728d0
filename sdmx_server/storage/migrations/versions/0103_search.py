"""Search index over indicators, documents, news and country pages (issue 18) (placeholder: its issue fills it in; empty until then, so the chain of revisions is fixed in advance
for work done side by side).

Revision ID: 0103
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0103"
down_revision = "0102"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
