"""PostgreSQL: observation rows keep their ``id`` (from its sequence) but lose the primary key's index.

Maintaining that B-tree took about 0.7 s of each 1M rows an ingest inserts (on a copy of the table),
and nothing looks rows up by ``id``: updates find them by ``ctid`` (ObservationStore), and the bound of
any count is the sequence's ``last_value`` (ObservationQuery.look). SQLite's ``id`` is the rowid: it
costs nothing there, and stays.

Revision ID: 0006
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("observation_pkey", "observation", type_="primary")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.create_primary_key("observation_pkey", "observation", ["id"])
