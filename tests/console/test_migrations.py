"""Migrations: a fresh database goes to head at open; the migrated schema is exactly
tables.py; the audit log refuses updates; URLs map to the right backend."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, text, update
from sqlalchemy.exc import DatabaseError

from console.store import Store
from console.store.db import Database, normalize_url
from console.store.migrate import current_version, head_version, upgrade
from console.store.tables import audit, metadata


def test_fresh_database_is_migrated_to_head_at_open(db_url: str) -> None:
    db = Database(db_url)
    with db.read() as conn:
        assert current_version(conn) is None
    db.close()
    with Store.open(db_url) as store:
        assert store.schema_version == head_version() == Store.head_version() == "0001"
    with Store.open(db_url) as store:  # reopening at head changes nothing
        assert store.schema_version == "0001"


def test_migrated_schema_matches_the_table_definitions(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []
        names = set(inspect(conn).get_table_names())
    db.close()
    assert {"violations", "violation_phases", "events_seen", "audit", "cameras", "boxes",
            "box_sequences", "users", "user_sites", "sessions", "api_tokens"} <= names


def test_audit_rows_cannot_be_rewritten(db_url: str) -> None:
    db = Database(db_url)
    upgrade(db)
    with db.write() as conn:
        conn.execute(insert(audit).values(ts=1.0, at="x", actor="a", action="comment",
                                          detail={}))
    with pytest.raises(DatabaseError, match="append-only"), db.write() as conn:
        conn.execute(update(audit).values(actor="someone else"))
    db.close()


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: pytest.TempPathFactory) -> None:
    db = Database(f"sqlite:///{tmp_path}/x.db", busy_timeout_s=3)
    with db.read() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 3000
    db.close()


@pytest.mark.parametrize(("url", "expected"), [
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:///var/x.db", "sqlite:///var/x.db"),
    ("/var/lib/sitewarden/console.db", "sqlite:////var/lib/sitewarden/console.db"),
])
def test_database_urls(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


def test_unsupported_database_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL scheme 'mysql'"):
        normalize_url("mysql://u@h/db")
