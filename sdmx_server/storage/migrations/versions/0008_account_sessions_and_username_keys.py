"""Accounts: a session epoch that ends every portal session of a user, and a unique normalised username.

``session_epoch`` is copied into the portal's session cookie at sign-in and compared with the row on each
request (the row is read anyway), so signing out, a password change or reset, deactivation and a role
change end every session of the user on the very next request, on every node. ``username_key`` is the
username under NFKC and casefold (identity/usernames.py): its unique index refuses ``Admin`` beside
``admin``. Existing usernames get their key here; two that already collide make the upgrade fail.

Revision ID: 0008
"""
import unicodedata

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _key(name: str) -> str:
    """identity/usernames.username_key as of this revision (a migration keeps its own copy)."""
    return unicodedata.normalize("NFKC", name).casefold()


def upgrade() -> None:
    # plain ADD COLUMN with a default (no batch copy: that would drop the table's access-version triggers)
    op.add_column("user_account", sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"))
    op.add_column("user_account", sa.Column("username_key", sa.String(120), nullable=False, server_default=""))
    conn = op.get_bind()
    users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("username", sa.String),
                     sa.column("username_key", sa.String))
    for uid, name in conn.execute(sa.select(users.c.id, users.c.username)).all():
        conn.execute(sa.update(users).where(users.c.id == uid).values(username_key=_key(name)))
    op.create_index("ux_user_account_username_key", "user_account", ["username_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_user_account_username_key", "user_account")
    op.drop_column("user_account", "username_key")
    op.drop_column("user_account", "session_epoch")
