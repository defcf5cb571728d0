"""Background submission jobs: a large data message is checked and stored outside its request.

A job is ``running`` until the transaction that stores the submission also marks it ``done`` (so a job is
never done without its data, nor the data stored under a job still running); a refusal marks it
``failed``. ``owner`` (host, process id and start time) and, on PostgreSQL, ``backend_pid`` (the job's own
database session) let any process tell that the one running a job died: the job then ends ``failed``,
and its transaction, never committed, stored nothing.

Revision ID: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_job",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("owner", sa.String(300), nullable=False),
        sa.Column("backend_pid", sa.Integer),
        sa.Column("status", sa.Integer),
        sa.Column("result", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("submission_job")
