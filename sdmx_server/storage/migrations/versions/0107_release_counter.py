"""A counter of releases beside the access version, kept by triggers, so the stamp of cached access reads is
one primary-key read instead of counting released submissions on every request (bench/bench_node_capacity.py:
the count cost 42 µs of database CPU with 4 releases and 1.15 ms with 20,004, and grew with every release).

``access_version.releases`` moves when a submission is inserted as released or becomes released, in the same
transaction, whatever code did it; released submissions are never deleted, so it never needs to move back.

Revision ID: 0107
"""
from alembic import op
import sqlalchemy as sa

revision = "0107"
down_revision = "0106"
branch_labels = None
depends_on = None

BUMP = "UPDATE access_version SET releases = releases + 1 WHERE id = 1"


def upgrade() -> None:
    with op.batch_alter_table("access_version") as batch:
        batch.add_column(sa.Column("releases", sa.BigInteger, nullable=False, server_default="0"))
    op.execute("UPDATE access_version SET releases = (SELECT COUNT(*) FROM submission WHERE state = 'released')")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION bump_releases() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN {BUMP}; RETURN NULL; END $$")
        op.execute("CREATE TRIGGER submission_released_insert AFTER INSERT ON submission FOR EACH ROW "
                   "WHEN (NEW.state = 'released') EXECUTE FUNCTION bump_releases()")
        op.execute("CREATE TRIGGER submission_released_update AFTER UPDATE OF state ON submission FOR EACH ROW "
                   "WHEN (NEW.state = 'released' AND OLD.state <> 'released') EXECUTE FUNCTION bump_releases()")
        return
    op.execute("CREATE TRIGGER submission_released_insert AFTER INSERT ON submission "
               f"WHEN NEW.state = 'released' BEGIN {BUMP}; END")
    op.execute("CREATE TRIGGER submission_released_update AFTER UPDATE OF state ON submission "
               f"WHEN NEW.state = 'released' AND OLD.state <> 'released' BEGIN {BUMP}; END")


def downgrade() -> None:
    op.execute("DROP TRIGGER submission_released_insert" +
               (" ON submission" if op.get_bind().dialect.name == "postgresql" else ""))
    op.execute("DROP TRIGGER submission_released_update" +
               (" ON submission" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION bump_releases()")
    with op.batch_alter_table("access_version") as batch:
        batch.drop_column("releases")
