"""Tables of issue 20's notifications and harvesting (migration 0106), on the same ``MetaData`` as tables.py.

* ``harvest_cursor``: where the last harvest of a national SDMX REST service stopped, by source name, so the next
  one asks only for what changed since (``updatedAfter``), and the ETag that lets a quiet service answer 304.
* ``subscription``: a user's standing request to be told about a dataflow (and optionally one provider): its
  webhook URL and the secret that signs each delivery (kept to sign; never shown after creation).
* ``webhook_delivery``: one notice to one subscription, queued in the transaction of the event it tells of,
  sent later by a background sender; ``webhook_attempt`` is its delivery log.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from .tables import metadata

harvest_cursor = Table(
    "harvest_cursor", metadata,
    Column("source", String(200), primary_key=True),  # the source (link) name
    Column("base_url", Text, nullable=False),
    Column("dataflow", String(600), nullable=False),  # AGENCY,ID,VERSION as the service is asked
    Column("cursor", DateTime(timezone=True)),  # the service's time up to which everything was taken
    Column("etag", String(1000)),  # the last empty answer's ETag, for the same question asked again
    Column("etag_url", Text),  # the question that ETag answers
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

subscription = Table(
    "subscription", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    Column("dataflow_urn", String(600), nullable=False),
    Column("provider_id", String(200)),  # NULL: every provider the subscriber may see
    Column("events", String(100), nullable=False),  # comma-separated: structure, release, revision
    Column("url", Text, nullable=False),
    Column("secret", String(200), nullable=False),  # HMAC key: deliveries are signed with it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Index("ix_subscription_flow", "dataflow_urn", "active"),
    Index("ix_subscription_user", "user_id", "id"),
)

webhook_delivery = Table(
    "webhook_delivery", metadata,
    Column("id", Integer, primary_key=True),
    Column("subscription_id", Integer, ForeignKey("subscription.id", ondelete="CASCADE"), nullable=False),
    Column("event", String(20), nullable=False),  # structure | release | revision
    Column("dataflow_urn", String(600), nullable=False),
    Column("provider_id", String(200)),  # NULL for structure changes
    Column("submission_id", Integer),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("state", String(20), nullable=False),  # pending | sent | failed | withheld
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", DateTime(timezone=True), nullable=False),  # not before; also the claim's end
    Column("finished_at", DateTime(timezone=True)),
    Index("ix_webhook_delivery_due", "state", "next_at"),
    Index("ix_webhook_delivery_subscription", "subscription_id", "id"),
)

webhook_attempt = Table(
    "webhook_attempt", metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", Integer, ForeignKey("webhook_delivery.id", ondelete="CASCADE"), nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("status", Integer),  # the receiver's HTTP status; NULL when none came
    Column("error", Text, nullable=False, default=""),
    Column("milliseconds", Integer, nullable=False, default=0),
    Index("ix_webhook_attempt_delivery", "delivery_id", "id"),
)
