"""Schema migrations (Alembic), run programmatically: `Store.open` calls `upgrade`.

The scripts live in `migrations/versions` inside the package, so an installed console can
migrate its own database with no alembic.ini. Replicas that start together are safe: the
upgrade runs in one transaction that first takes a PostgreSQL advisory lock (SQLite: BEGIN
IMMEDIATE), so the second replica finds the schema already at head.

A new migration (schema change in tables.py, then):
    python -m console.store.migrate revision "what changed" sqlite:////tmp/scratch.db
autogenerates a script against a scratch database at head; review it, then check that the
metadata-vs-migrations test passes on both backends.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from console.store.db import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Any constant will do; it only has to be the same for every replica.
ADVISORY_LOCK_KEY = 0x5173_7764  # "Sqwd"


def _config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


def head_version() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def current_version(conn: Connection) -> str | None:
    """The revision the database is at (None: not migrated yet)."""
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, target: str = "head") -> str:
    """Migrate the database to `target`; returns the version it is at afterwards."""
    with db.write() as conn:
        before = current_version(conn)
    with db.engine.connect() as conn:
        conn.execution_options(sitewarden_write=True)
        command.upgrade(_config(conn), target)
    with db.read() as conn:
        after = current_version(conn)
    if after != before:
        log.info("database schema migrated from %s to %s", before or "empty", after)
    if after is None:
        raise RuntimeError("migration left no schema version")
    return after


def revision(message: str, url: str) -> None:
    """Autogenerate a new migration script from the difference between tables.py and a
    scratch database that `upgrade` brought to head."""
    db = Database(url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            command.revision(_config(conn), message=message, autogenerate=True)
    finally:
        db.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    if len(sys.argv) != 4 or sys.argv[1] != "revision":
        sys.exit("usage: python -m console.store.migrate revision MESSAGE SCRATCH_DB_URL")
    revision(sys.argv[2], sys.argv[3])
