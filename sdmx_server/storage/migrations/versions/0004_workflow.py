"""The submission workflow: what a pending submission holds, its transitions, its embargo.

Revision ID: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("replace", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("content_type", sa.String(200)))
        batch.add_column(sa.Column("observations_read", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("release_at", TZ))
        batch.add_column(sa.Column("released_at", TZ))
    op.execute("UPDATE submission SET released_at = submitted_at WHERE state = 'released'")
    op.create_index("ix_submission_state", "submission", ["state", "release_at"])
    op.create_index("ix_submission_flow", "submission", ["dataflow_urn", "provider_id", "id"])
    op.create_table(
        "submission_payload",
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "submission_transition",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submission.id", ondelete="CASCADE"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_submission_transition", "submission_transition", ["submission_id", "id"])


def downgrade() -> None:
    op.drop_table("submission_transition")
    op.drop_table("submission_payload")
    op.drop_index("ix_submission_flow", "submission")
    op.drop_index("ix_submission_state", "submission")
    with op.batch_alter_table("submission") as batch:
        for name in ("released_at", "release_at", "observations_read", "content_type", "replace"):
            batch.drop_column(name)
