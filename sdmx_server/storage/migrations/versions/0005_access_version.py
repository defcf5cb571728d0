"""A counter of changes to who may see what, kept by triggers, so each process may cache access reads.

Every insert, update or delete on the tables the access rule reads (users, roles, tokens, grants,
publicity) bumps ``access_version.n`` in the same transaction, whatever code made it: a revoked token
or a withdrawn grant is seen by every process on its next request, with no invalidation code to forget.

Revision ID: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

WATCHED = ("user_account", "user_role", "api_token", "data_grant", "data_publicity")


def upgrade() -> None:
    op.create_table(
        "access_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="ck_access_version_one_row"),
    )
    op.execute("INSERT INTO access_version (id, n) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION bump_access_version() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$ BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; RETURN NULL; END $$")
        for table in WATCHED:
            op.execute(f"CREATE TRIGGER {table}_access_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION bump_access_version()")
        return
    for table in WATCHED:  # SQLite: row triggers only, one per operation
        for operation in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_{operation.lower()}_access_version AFTER {operation} ON {table} "
                       "BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER {table}_access_version ON {table}")
        op.execute("DROP FUNCTION bump_access_version()")
    else:
        for table in WATCHED:
            for operation in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_{operation}_access_version")
    op.drop_table("access_version")
