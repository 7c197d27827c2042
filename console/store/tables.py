"""The store's tables (SQLAlchemy Core). Alembic migrations in `migrations/versions` create
them; a test checks that a migrated database matches this metadata on both backends.

Portable on purpose: instants are DOUBLE epoch seconds (`*_ts`, for ordering and filtering)
next to the ISO 8601 text as received (`*_at`, for display); JSON is JSONB on PostgreSQL and
JSON text on SQLite; no enums, no server-side functions, no sequences beyond autoincrement.

    violations          merged state of a violation + its review state (one row each)
    violation_phases    one row per violation event id, the whole event kept
    events_seen         every event id ever applied (idempotency for every event type)
    audit               append-only history of review and user actions (UPDATE is refused)
    cameras, boxes      last known state of each camera / box
    box_sequences       per box, the seen CloudEvents `sequence` numbers as merged ranges
    users, user_sites   people, their role and the sites they may see
    sessions            server-side login sessions (ids stored hashed), shared by replicas
    api_tokens          machine clients (tokens stored hashed)
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only autoincrements an INTEGER PRIMARY KEY (the rowid alias), not a BIGINT one.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Id = String(200)  # site, box, camera, zone, violation ids and user names
Iso = String(40)  # ISO 8601 with offset

violations = Table(
    "violations",
    metadata,
    Column("violation_id", Id, primary_key=True),
    Column("site_id", Id, nullable=False),
    Column("box_id", Id, nullable=False),
    Column("camera_id", Id, nullable=False),
    Column("zone_id", Id, nullable=False),
    Column("zone_label", Text, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("alarm_type", String(40), nullable=False),
    Column("phase", String(10), nullable=False),
    Column("started_at", Iso, nullable=False),
    Column("started_ts", Double, nullable=False),
    Column("ended_at", Iso),
    Column("ended_ts", Double),
    Column("max_count", Integer, nullable=False),
    Column("last_count", Integer, nullable=False),
    Column("source_time_s", Double, nullable=False),
    Column("objects", Json, nullable=False),
    Column("evidence", Json, nullable=False),
    Column("evidence_ready", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("last_event_ts", Double, nullable=False),
    # The keys that decided each merged field (see merge.py); what makes merging
    # order-independent without re-reading every phase.
    Column("merge_keys", Json, nullable=False),
    Column("decision", String(20)),
    Column("decision_reason", String(40)),
    Column("decision_comment", Text),
    Column("dispatched_to", Text),
    Column("decided_by", Id),
    Column("decided_at", Iso),
    Column("decided_ts", Double),
    # When the decision last changed (decide or reopen), here or elsewhere: decisions that
    # arrive as events apply only if newer.
    Column("decision_ts", Double),
    # The event (audit entry) that set the current decision; breaks ties of decision_ts.
    Column("decision_event_id", Id),
    Column("claimed_by", Id),
    Column("claimed_at", Iso),
    Column("claimed_ts", Double),
    Column("overdue", Boolean, nullable=False),
    Column("overdue_at", Iso),
    Column("overdue_ts", Double),
    Column("version", Integer, nullable=False),
    Column("created_ts", Double, nullable=False),
    Column("updated_ts", Double, nullable=False),
)
# Every list is ordered by (started_ts DESC, violation_id DESC): each index ends with both so
# that a filtered page is an index range walked backwards, never a sort. A camera is named by
# site, box and camera id (camera ids repeat across boxes), hence the composite camera index;
# a zone filter comes with its camera (the camera index, zone checked per row) or alone.
_v = violations.c
_KEYSET = (_v.started_ts, _v.violation_id)
Index("ix_violations_started", *_KEYSET)
Index("ix_violations_site", _v.site_id, *_KEYSET)
Index("ix_violations_camera", _v.site_id, _v.box_id, _v.camera_id, *_KEYSET)
Index("ix_violations_zone", _v.zone_id, *_KEYSET)
Index("ix_violations_kind", _v.kind, *_KEYSET)
# decision IS NULL (the inbox, and mark_overdue) is a range of this one too.
Index("ix_violations_decision", _v.decision, *_KEYSET)
# A scoped operator's inbox: one site's unhandled violations, a small part of a large table.
_UNHANDLED = text("decision IS NULL")
Index(
    "ix_violations_unhandled_site", _v.site_id, *_KEYSET,
    sqlite_where=_UNHANDLED, postgresql_where=_UNHANDLED,
)
# counts_unhandled reads nothing but this (index-only, already grouped in order).
Index(
    "ix_violations_unhandled_counts", _v.site_id, _v.box_id, _v.camera_id, _v.zone_id, _v.kind,
    sqlite_where=_UNHANDLED, postgresql_where=_UNHANDLED,
)


violation_phases = Table(
    "violation_phases",
    metadata,
    Column("event_id", Id, primary_key=True),
    # No foreign key: a phase is kept even if its violation row were ever pruned first.
    Column("violation_id", Id, nullable=False),
    Column("phase", String(10), nullable=False),
    Column("event_time", Iso, nullable=False),
    Column("event_ts", Double, nullable=False),
    Column("count", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("payload", Json, nullable=False),
    Column("received_ts", Double, nullable=False),
    Index("ix_violation_phases_violation", "violation_id", "event_ts"),
)

events_seen = Table(
    "events_seen",
    metadata,
    Column("event_id", Id, primary_key=True),
    Column("type", String(100), nullable=False),
    Column("site_id", Id),
    Column("box_id", Id),
    Column("received_ts", Double, nullable=False),
    Index("ix_events_seen_received", "received_ts"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # No foreign key: a decision may arrive (as an event) before its violation does.
    Column("violation_id", Id),
    Column("site_id", Id),
    Column("ts", Double, nullable=False),
    Column("at", Iso, nullable=False),
    Column("actor", Id, nullable=False),
    Column("action", String(40), nullable=False),
    Column("detail", Json, nullable=False),
    Column("event_id", Id, unique=True),
    Index("ix_audit_violation", "violation_id", "id"),
)

cameras = Table(
    "cameras",
    metadata,
    Column("site_id", Id, primary_key=True),
    Column("box_id", Id, primary_key=True),
    Column("camera_id", Id, primary_key=True),
    Column("state", String(20), nullable=False),
    Column("since", Iso),
    Column("since_ts", Double),
    Column("state_ts", Double),  # time of the newest applied state event (older ones lose)
    Column("detail", Json, nullable=False),
    Column("updated_ts", Double, nullable=False),
)

boxes = Table(
    "boxes",
    metadata,
    Column("site_id", Id, primary_key=True),
    Column("box_id", Id, primary_key=True),
    Column("state", String(20), nullable=False),
    Column("since", Iso),
    Column("since_ts", Double),
    Column("last_seen_ts", Double),
    Column("status", Json, nullable=False),
    Column("status_ts", Double),
    Column("health", String(20), nullable=False),
    Column("health_since", Iso),
    Column("health_ts", Double),
    Column("health_detail", Json, nullable=False),
    Column("last_sequence", BigInteger),
    Column("first_sequence", BigInteger),
    Column("missing_count", BigInteger, nullable=False),
    Column("updated_ts", Double, nullable=False),
)

box_sequences = Table(
    "box_sequences",
    metadata,
    Column("site_id", Id, primary_key=True),
    Column("box_id", Id, primary_key=True),
    Column("first_seq", BigInteger, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    ForeignKeyConstraint(
        ["site_id", "box_id"], ["boxes.site_id", "boxes.box_id"], ondelete="CASCADE",
        name="fk_box_sequences_box_boxes",
    ),
)

users = Table(
    "users",
    metadata,
    Column("user_id", BigId, primary_key=True, autoincrement=True),
    Column("username", Id, nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("all_sites", Boolean, nullable=False),
    Column("created_ts", Double, nullable=False),
    Column("updated_ts", Double, nullable=False),
)

user_sites = Table(
    "user_sites",
    metadata,
    Column(
        "user_id", BigId, ForeignKey("users.user_id", ondelete="CASCADE"), primary_key=True
    ),
    Column("site_id", Id, primary_key=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),  # sha256 hex of the cookie value
    Column(
        "user_id", BigId, ForeignKey("users.user_id", ondelete="CASCADE"), nullable=False
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_ts", Double, nullable=False),
    Column("last_seen_ts", Double, nullable=False),
    Column("expires_ts", Double, nullable=False),
    Column("client", Text, nullable=False),
    Index("ix_sessions_user", "user_id"),
    Index("ix_sessions_expires", "expires_ts"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # sha256 hex of the token
    Column("name", Id, nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("all_sites", Boolean, nullable=False),
    Column("sites", Json, nullable=False),
    Column("created_ts", Double, nullable=False),
    Column("created_by", Id, nullable=False),
    Column("last_used_ts", Double),
    Column("expires_ts", Double),
)
