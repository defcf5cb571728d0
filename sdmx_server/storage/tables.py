"""The schema, in SQLAlchemy Core. Alembic migrations create it; nothing else writes SQL DDL."""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, LargeBinary,
                        MetaData, String, Table, Text, UniqueConstraint, text)

metadata = MetaData()

artefact = Table(
    "artefact", metadata,
    Column("id", Integer, primary_key=True),
    Column("type", String(40), nullable=False),
    Column("agency_id", String(200), nullable=False),
    Column("resource_id", String(200), nullable=False),
    Column("version", String(60), nullable=False),
    Column("is_final", Boolean, nullable=False),
    Column("urn", String(600), nullable=False, unique=True),
    Column("body", Text, nullable=False),  # canonical artefact as JSON (sdmx_server.sdmx.artefacts)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_artefact_lookup", "type", "agency_id", "resource_id"),
)

artefact_reference = Table(
    "artefact_reference", metadata,
    Column("source_id", Integer, ForeignKey("artefact.id", ondelete="CASCADE"), nullable=False),
    Column("target_urn", String(600), nullable=False),  # URN of a maintainable the source refers to
    UniqueConstraint("source_id", "target_urn"),
    Index("ix_artefact_reference_target", "target_urn"),
)

# When structures last changed, deletions included, for Last-Modified.
change_log = Table(
    "change_log", metadata,
    Column("scope", String(40), primary_key=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

user_account = Table(
    "user_account", metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(120), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("country", String(20)),  # data provider id; NULL for system administrators
    Column("display_name", String(200), nullable=False, default=""),
    Column("is_active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # migration 0008: bumped to end every portal session of the user (sign-out, password, deactivation, roles)
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    # the username under NFKC + casefold (identity/usernames.py): unique, so look-alikes are refused
    Column("username_key", String(120), nullable=False, server_default=""),
    Index("ux_user_account_username_key", "username_key", unique=True),
)

user_role = Table(
    "user_role", metadata,
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(60), nullable=False),
    Column("dataflow_urn", String(600), nullable=False, default=""),  # "" = every indicator
    UniqueConstraint("user_id", "role", "dataflow_urn"),
)

api_token = Table(
    "api_token", metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("label", String(200), nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

# -- data ---------------------------------------------------------------------------------------
# One data set per (dataflow, data provider): the owner of every number below it.
data_set = Table(
    "data_set", metadata,
    Column("id", Integer, primary_key=True),
    Column("dataflow_urn", String(600), nullable=False),
    Column("provider_id", String(200), nullable=False),
    Column("structure_urn", String(600), nullable=False),
    UniqueConstraint("dataflow_urn", "provider_id"),
)

series = Table(
    "series", metadata,
    Column("id", Integer, primary_key=True),
    Column("data_set_id", Integer, ForeignKey("data_set.id", ondelete="CASCADE"), nullable=False),
    Column("series_key", String(1000), nullable=False),  # dimension values in DSD order, joined by "."
    UniqueConstraint("data_set_id", "series_key"),
)

# One row per dimension value of a series, so a key query with a wildcard on any dimension is an index lookup.
series_dimension = Table(
    "series_dimension", metadata,
    Column("series_id", Integer, ForeignKey("series.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("value", String(200), nullable=False),
    Index("ix_series_dimension_value", "position", "value", "series_id"),
)

submission = Table(
    "submission", metadata,
    Column("id", Integer, primary_key=True),
    Column("dataflow_urn", String(600), nullable=False),
    Column("provider_id", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("format", String(60), nullable=False),
    Column("submitted_by", String(120)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("inserted", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
    # the workflow (migration 0004): PUT or POST, what came in, the embargo and when it was released
    Column("replace", Boolean, nullable=False, default=False),
    Column("content_type", String(200)),
    Column("observations_read", Integer, nullable=False, default=0),
    Column("release_at", DateTime(timezone=True)),
    Column("released_at", DateTime(timezone=True)),
    Index("ix_submission_state", "state", "release_at"),
    Index("ix_submission_flow", "dataflow_urn", "provider_id", "id"),
)

# Observations keep their history: a change closes the current row (valid_to) and adds a new one,
# so updatedAfter, asOf and includeHistory are plain range conditions on transaction time.
# series_id and submission_id carry no foreign-key constraints: checking them row by row took more
# than half of a bulk ingest on PostgreSQL, and only ObservationStore.apply writes these rows, by
# joining the series it has just made and the submission it has just recorded.
# On PostgreSQL ``id`` keeps its sequence but has no index (migration 0006 says why).
observation = Table(
    "observation", metadata,
    Column("id", Integer, primary_key=True),
    Column("series_id", Integer, nullable=False),
    Column("time_period", String(60), nullable=False),  # as reported
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("period_end", DateTime(timezone=True), nullable=False),
    Column("value", Text),  # the primary measure as reported (validated against its representation)
    Column("attributes", Text),  # JSON: observation-level attributes and further measures
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_to", DateTime(timezone=True)),
    Column("submission_id", Integer, nullable=False),
    Index("ux_observation_current", "series_id", "time_period", unique=True,
          postgresql_where=text("valid_to IS NULL"), sqlite_where=text("valid_to IS NULL")),
    # Past versions of a series (asOf, includeHistory), and closed rows by closing time (updatedAfter,
    # deletions). Current rows are in neither index, so ingest does not pay for them (migration 0007);
    # queries of every version name the current and the closed rows apart (ObservationQuery).
    Index("ix_observation_history", "series_id", "valid_from", postgresql_where=text("valid_to IS NOT NULL"),
          sqlite_where=text("valid_to IS NOT NULL")),
    Index("ix_observation_closed", "valid_to", postgresql_where=text("valid_to IS NOT NULL"),
          sqlite_where=text("valid_to IS NOT NULL")),
)

# Attribute values attached above observation level (data set, group, series), with the same history.
key_attribute = Table(
    "key_attribute", metadata,
    Column("id", Integer, primary_key=True),
    Column("data_set_id", Integer, ForeignKey("data_set.id", ondelete="CASCADE"), nullable=False),
    Column("level", String(10), nullable=False),  # dataset | group | series
    Column("key", String(1000), nullable=False),  # dimension values, "" where the attachment does not fix one
    Column("attributes", Text, nullable=False),  # JSON
    Column("valid_from", DateTime(timezone=True), nullable=False),
    Column("valid_to", DateTime(timezone=True)),
    Column("submission_id", Integer, ForeignKey("submission.id"), nullable=False),
    Index("ix_key_attribute_current", "data_set_id", "level", "key", "valid_to"),
)

# -- access: sharing, audit, login throttling (migration 0003) ----------------------------------
# A country (owner provider) lets another country (grantee provider) see its released data on a dataflow.
data_grant = Table(
    "data_grant", metadata,
    Column("owner_provider", String(200), primary_key=True),
    Column("dataflow_urn", String(600), primary_key=True),
    Column("grantee_provider", String(200), primary_key=True),
    Column("granted_by", String(120)),
    Column("granted_at", DateTime(timezone=True), nullable=False),
    Index("ix_data_grant_grantee", "grantee_provider", "dataflow_urn"),
)

# Whether the public (anonymous callers) may see an owner's released data on a dataflow; no row = not public.
data_publicity = Table(
    "data_publicity", metadata,
    Column("owner_provider", String(200), primary_key=True),
    Column("dataflow_urn", String(600), primary_key=True),
    Column("is_public", Boolean, nullable=False),
    Column("changed_by", String(120)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

# How many times who-may-see-what changed: bumped by triggers on the tables above and users, roles, tokens
# (migration 0005), read once per request to know whether a process's cached access reads still hold.
# ``releases``: how many submissions were released, bumped by triggers on submission (migration 0107).
access_version = Table(
    "access_version", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("n", BigInteger, nullable=False),
    Column("releases", BigInteger, nullable=False, server_default="0"),
    CheckConstraint("id = 1", name="ck_access_version_one_row"),
)

# Every administrative change: who did what to which target, and the country it concerns (NULL: system-wide).
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),  # username, or "cli"/"init" for operators
    Column("action", String(60), nullable=False),
    Column("target", String(600), nullable=False),
    Column("country", String(20)),
    Column("details", Text, nullable=False, default="{}"),  # JSON
    Index("ix_audit_log_country", "country", "id"),
)

# Failed password logins per key ("user:<name>" or "address:<ip>"), shared by every worker process.
login_failure = Table(
    "login_failure", metadata,
    Column("key", String(300), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", DateTime(timezone=True), nullable=False),
    Column("blocked_until", DateTime(timezone=True)),
)

# -- the submission workflow (migration 0004) --------------------------------------------------------
# A pending submission's message, gzip-compressed, kept until release applies it (then deleted).
submission_payload = Table(
    "submission_payload", metadata,
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), primary_key=True),
    Column("body", LargeBinary, nullable=False),
)

# Every change of a submission's state: who, when, from which state, why.
submission_transition = Table(
    "submission_transition", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("from_state", String(20)),
    Column("to_state", String(20), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Index("ix_submission_transition", "submission_id", "id"),
)

# -- background submissions (migration 0009) ------------------------------------------------------------
# A data message checked and stored outside its request (submission.jobs): running, then done (the receipt,
# committed with the data) or failed (the error). ``owner`` and ``backend_pid`` tell whether it still runs.
submission_job = Table(
    "submission_job", metadata,
    Column("id", Integer, primary_key=True),
    Column("state", String(20), nullable=False),
    Column("dataflow_urn", String(600), nullable=False),
    Column("created_by", String(120), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("owner", String(300), nullable=False),
    Column("backend_pid", Integer),
    Column("status", Integer),  # the HTTP status of the outcome: the receipt's, or the error's
    Column("result", Text),  # JSON: the receipt, or the error (status, message, details, count)
)
