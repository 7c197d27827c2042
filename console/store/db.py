"""The database connection: URL rules, SQLite settings, read and write transactions.

URLs:
    sqlite:///path/console.db, or a plain file path       the box (and tests)
    postgresql://... | postgres://... | postgresql+psycopg://...   the centre (psycopg 3)

SQLite runs in WAL mode (readers never block the writer), with foreign keys on, a busy
timeout, and synchronous=FULL (an operator's decision survives a power cut). Write
transactions start with BEGIN IMMEDIATE: taking the write lock up front means two writers
queue on the busy timeout instead of one failing with "database is locked" when it upgrades
a read lock. PostgreSQL runs READ COMMITTED; writers lock the rows they merge (SELECT ... FOR
UPDATE, INSERT ... ON CONFLICT), and a transaction that loses a deadlock is retried whole.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import ConnectionPoolEntry

log = logging.getLogger(__name__)

T = TypeVar("T")
_WRITE_OPTION = "sitewarden_write"
# PostgreSQL: serialization_failure, deadlock_detected. Both mean "run it again".
_RETRY_SQLSTATES = {"40001", "40P01"}
_MAX_ATTEMPTS = 5


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL for `url`; ValueError for a backend the store does not support."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    scheme, rest = url.split("://", 1)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+psycopg://{rest}"
    if scheme in ("sqlite", "sqlite+pysqlite"):
        return url
    raise ValueError(
        f"unsupported database URL scheme {scheme!r}: use sqlite:///path or postgresql://..."
    )


class Database:
    """One engine plus the two kinds of transaction the store uses."""

    def __init__(self, url: str, *, busy_timeout_s: float = 10.0, echo: bool = False) -> None:
        self.url = normalize_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        self._insert_ignore: dict[str, Any] = {}
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url, busy_timeout_s, echo)
        else:
            self.engine = create_engine(self.url, echo=echo, pool_pre_ping=True)

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                yield conn

    def run_write(self, fn: Callable[[Connection], T]) -> T:
        """`fn` in one write transaction, run again from the start if PostgreSQL aborted it
        for a deadlock or a serialization failure (`fn` must not keep state between tries)."""
        for attempt in range(1, _MAX_ATTEMPTS + 1):
            try:
                with self.write() as conn:
                    return fn(conn)
            except OperationalError as e:
                if _sqlstate(e) not in _RETRY_SQLSTATES or attempt == _MAX_ATTEMPTS:
                    raise
                log.info("write transaction aborted (%s), retry %d", _sqlstate(e), attempt)
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    def insert_ignore(self, conn: Connection, table: Table, values: dict[str, Any]) -> bool:
        """INSERT that does nothing on a key conflict; True when the row was inserted."""
        stmt = self._insert_ignore.get(table.name)
        if stmt is None:
            dialect_insert = postgresql.insert if self.is_postgres else sqlite.insert
            key = next(iter(table.primary_key.columns))
            # RETURNING, not rowcount: psycopg through SQLAlchemy 2.1 reports rowcount -1 here.
            stmt = self._insert_ignore[table.name] = (
                dialect_insert(table).on_conflict_do_nothing().returning(key))
        # Values as parameters of one statement per table, not baked in with .values():
        # building a statement per row cost more than executing it (ingest's hot path).
        return conn.execute(stmt, values).first() is not None

    def close(self) -> None:
        self.engine.dispose()


def _sqlstate(e: OperationalError) -> str | None:
    return getattr(e.orig, "sqlstate", None)


def _sqlite_engine(url: str, busy_timeout_s: float, echo: bool) -> Engine:
    engine = create_engine(
        url, echo=echo,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_s},
    )
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        # Hand transaction control to SQLAlchemy's "begin" hook below; pysqlite's own
        # implicit BEGIN would defer every lock.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL", "foreign_keys=ON", f"busy_timeout={busy_ms}",
            "synchronous=FULL",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
