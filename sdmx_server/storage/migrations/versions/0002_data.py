"""Data sets, series, observations with transaction-time history, key-level attributes, submissions.

Revision ID: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "data_set",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=False),
        sa.Column("structure_urn", sa.String(600), nullable=False),
        sa.UniqueConstraint("dataflow_urn", "provider_id"),
    )
    op.create_table(
        "series",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("data_set_id", sa.Integer, sa.ForeignKey("data_set.id", ondelete="CASCADE"), nullable=False),
        sa.Column("series_key", sa.String(1000), nullable=False),
        sa.UniqueConstraint("data_set_id", "series_key"),
    )
    op.create_table(
        "series_dimension",
        sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_index("ix_series_dimension_value", "series_dimension", ["position", "value", "series_id"])
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dataflow_urn", sa.String(600), nullable=False),
        sa.Column("provider_id", sa.String(200), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("format", sa.String(60), nullable=False),
        sa.Column("submitted_by", sa.String(120)),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("inserted", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("deleted", sa.Integer, nullable=False),
    )
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("series_id", sa.Integer, nullable=False),  # no foreign keys: see tables.observation
        sa.Column("time_period", sa.String(60), nullable=False),
        sa.Column("period_start", TZ, nullable=False),
        sa.Column("period_end", TZ, nullable=False),
        sa.Column("value", sa.Text),
        sa.Column("attributes", sa.Text),
        sa.Column("valid_from", TZ, nullable=False),
        sa.Column("valid_to", TZ),
        sa.Column("submission_id", sa.Integer, nullable=False),
    )
    current = sa.text("valid_to IS NULL")
    op.create_index("ux_observation_current", "observation", ["series_id", "time_period"], unique=True,
                    postgresql_where=current, sqlite_where=current)
    op.create_index("ix_observation_history", "observation", ["series_id", "valid_from"])
    closed = sa.text("valid_to IS NOT NULL")
    op.create_index("ix_observation_closed", "observation", ["valid_to"], postgresql_where=closed,
                    sqlite_where=closed)
    op.create_table(
        "key_attribute",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("data_set_id", sa.Integer, sa.ForeignKey("data_set.id", ondelete="CASCADE"), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("key", sa.String(1000), nullable=False),
        sa.Column("attributes", sa.Text, nullable=False),
        sa.Column("valid_from", TZ, nullable=False),
        sa.Column("valid_to", TZ),
        sa.Column("submission_id", sa.Integer, sa.ForeignKey("submission.id"), nullable=False),
    )
    op.create_index("ix_key_attribute_current", "key_attribute", ["data_set_id", "level", "key", "valid_to"])


def downgrade() -> None:
    for t in ("key_attribute", "observation", "submission", "series_dimension", "series", "data_set"):
        op.drop_table(t)
