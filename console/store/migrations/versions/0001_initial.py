"""Initial schema: violations, phases, events seen, audit, cameras, boxes, sequences, users,
sessions, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(200), nullable=nullable)


def _iso(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.String(40), nullable=nullable)


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Double(), nullable=nullable)


def upgrade() -> None:
    _violations()
    _phases_events_audit()
    _cameras_boxes()
    _people()
    _audit_append_only()


def _violations() -> None:
    op.create_table(
        "violations",
        _id("violation_id"), _id("site_id"), _id("box_id"), _id("camera_id"), _id("zone_id"),
        sa.Column("zone_label", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("alarm_type", sa.String(40), nullable=False),
        sa.Column("phase", sa.String(10), nullable=False),
        _iso("started_at", False), _ts("started_ts", False), _iso("ended_at"), _ts("ended_ts"),
        sa.Column("max_count", sa.Integer(), nullable=False),
        sa.Column("last_count", sa.Integer(), nullable=False),
        _ts("source_time_s", False),
        sa.Column("objects", JSON, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("evidence_ready", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _ts("last_event_ts", False),
        sa.Column("merge_keys", JSON, nullable=False),
        sa.Column("decision", sa.String(20), nullable=True),
        sa.Column("decision_reason", sa.String(40), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("dispatched_to", sa.Text(), nullable=True),
        _id("decided_by", True), _iso("decided_at"), _ts("decided_ts"), _ts("decision_ts"),
        _id("decision_event_id", True),
        _id("claimed_by", True), _iso("claimed_at"), _ts("claimed_ts"),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        _iso("overdue_at"), _ts("overdue_ts"),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("created_ts", False), _ts("updated_ts", False),
        sa.PrimaryKeyConstraint("violation_id", name=op.f("pk_violations")),
    )
    keyset = ["started_ts", "violation_id"]
    for name, lead in (
        ("started", []), ("site", ["site_id"]), ("camera", ["site_id", "box_id", "camera_id"]),
        ("zone", ["zone_id"]), ("kind", ["kind"]), ("decision", ["decision"]),
    ):
        op.create_index(f"ix_violations_{name}", "violations", [*lead, *keyset])
    unhandled = sa.text("decision IS NULL")
    for name, columns in (
        ("unhandled_site", ["site_id", *keyset]),
        ("unhandled_counts", ["site_id", "box_id", "camera_id", "zone_id", "kind"]),
    ):
        op.create_index(
            f"ix_violations_{name}", "violations", columns,
            sqlite_where=unhandled, postgresql_where=unhandled,
        )


def _phases_events_audit() -> None:
    op.create_table(
        "violation_phases",
        _id("event_id"), _id("violation_id"),
        sa.Column("phase", sa.String(10), nullable=False),
        _iso("event_time", False), _ts("event_ts", False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        _ts("received_ts", False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_violation_phases")),
    )
    op.create_index(
        "ix_violation_phases_violation", "violation_phases", ["violation_id", "event_ts"]
    )
    op.create_table(
        "events_seen",
        _id("event_id"),
        sa.Column("type", sa.String(100), nullable=False),
        _id("site_id", True), _id("box_id", True), _ts("received_ts", False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_events_seen")),
    )
    op.create_index("ix_events_seen_received", "events_seen", ["received_ts"])
    op.create_table(
        "audit",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        _id("violation_id", True), _id("site_id", True),
        _ts("ts", False), _iso("at", False), _id("actor"),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        _id("event_id", True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_event_id")),
    )
    op.create_index("ix_audit_violation", "audit", ["violation_id", "id"])


def _cameras_boxes() -> None:
    op.create_table(
        "cameras",
        _id("site_id"), _id("box_id"), _id("camera_id"),
        sa.Column("state", sa.String(20), nullable=False),
        _iso("since"), _ts("since_ts"), _ts("state_ts"),
        sa.Column("detail", JSON, nullable=False),
        _ts("updated_ts", False),
        sa.PrimaryKeyConstraint("site_id", "box_id", "camera_id", name=op.f("pk_cameras")),
    )
    op.create_table(
        "boxes",
        _id("site_id"), _id("box_id"),
        sa.Column("state", sa.String(20), nullable=False),
        _iso("since"), _ts("since_ts"), _ts("last_seen_ts"),
        sa.Column("status", JSON, nullable=False),
        _ts("status_ts"),
        sa.Column("health", sa.String(20), nullable=False),
        _iso("health_since"), _ts("health_ts"),
        sa.Column("health_detail", JSON, nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=True),
        sa.Column("first_sequence", sa.BigInteger(), nullable=True),
        sa.Column("missing_count", sa.BigInteger(), nullable=False),
        _ts("updated_ts", False),
        sa.PrimaryKeyConstraint("site_id", "box_id", name=op.f("pk_boxes")),
    )
    op.create_table(
        "box_sequences",
        _id("site_id"), _id("box_id"),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_id", "box_id"], ["boxes.site_id", "boxes.box_id"],
            name="fk_box_sequences_box_boxes", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("site_id", "box_id", "first_seq", name=op.f("pk_box_sequences")),
    )


def _people() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", BIG_ID, autoincrement=True, nullable=False),
        _id("username"),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("all_sites", sa.Boolean(), nullable=False),
        _ts("created_ts", False), _ts("updated_ts", False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    user_fk = sa.ForeignKeyConstraint(
        ["user_id"], ["users.user_id"], name=op.f("fk_user_sites_user_id_users"),
        ondelete="CASCADE",
    )
    op.create_table(
        "user_sites",
        sa.Column("user_id", BIG_ID, nullable=False), _id("site_id"), user_fk,
        sa.PrimaryKeyConstraint("user_id", "site_id", name=op.f("pk_user_sites")),
    )
    op.create_table(
        "sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _ts("created_ts", False), _ts("last_seen_ts", False), _ts("expires_ts", False),
        sa.Column("client", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.user_id"], name=op.f("fk_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_sessions")),
    )
    op.create_index("ix_sessions_user", "sessions", ["user_id"])
    op.create_index("ix_sessions_expires", "sessions", ["expires_ts"])
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _id("name"),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("all_sites", sa.Boolean(), nullable=False),
        sa.Column("sites", JSON, nullable=False),
        _ts("created_ts", False), _id("created_by"), _ts("last_used_ts"), _ts("expires_ts"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_api_tokens_name")),
    )


def _audit_append_only() -> None:
    """The database itself refuses to rewrite history (deleting old rows stays possible, for
    retention)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_update()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_append_only BEFORE UPDATE ON audit "
            "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"
        )


def downgrade() -> None:
    for table in (
        "api_tokens", "sessions", "user_sites", "users", "box_sequences", "boxes", "cameras",
        "audit", "events_seen", "violation_phases", "violations",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_update()")
