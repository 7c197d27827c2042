"""Durable outbox: SQLite in WAL mode, one row per message awaiting its PUBACK.

A row is committed (WAL, synchronous=FULL) before `put` returns and deleted only after the
broker acknowledged it, so a broker outage, a crash or kill -9 loses nothing: the next run
sends every remaining row again, oldest first.

Size budget (sum of payload bytes). When a `put` takes it over `max_bytes`, rows are evicted
in this order, oldest first within each step, until it fits again:
  1. snapshots (optional JPEG delivery),
  2. `updated` phases superseded by a later phase of the same violation (counted as merged:
     every phase carries the violation's full current state, so the newest one subsumes them),
  3. any other `updated` phase (counted as dropped).
`started` and `ended` phases and camera events are never evicted: if only they remain, the
outbox grows past its budget and the `outbox_full` alarm is raised.

The box's event sequence number (the CloudEvents `sequence` extension) is kept in the `meta`
table and raised in the same transaction as the row that carries it, so after a crash the
next number continues from the last event that was really stored.

Errors are `OutboxError`; `disk_full` tells a full disk (SQLITE_FULL, ENOSPC) from other
failures, because the publisher reports the two differently.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    topic        TEXT    NOT NULL,
    payload      BLOB    NOT NULL,
    qos          INTEGER NOT NULL,
    retain       INTEGER NOT NULL,
    event_id     TEXT,
    violation_id TEXT,
    phase        TEXT,
    cls          INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    created_s    REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_violation ON outbox (violation_id, seq);
CREATE INDEX IF NOT EXISTS outbox_cls ON outbox (cls, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

# A checkpoint every 256 pages (1 MiB) instead of SQLite's 1000 (4 MiB): the WAL only grows
# between checkpoints, and on a small disk a 4 MiB WAL can fill the disk by itself, after
# which no checkpoint can run (it needs room in the database file) and the outbox is stuck.
_WAL_AUTOCHECKPOINT_PAGES = 256
# A WAL that grew past this in one big transaction is cut back after the next checkpoint;
# below it the file is reused in place, so its space stays ours when the disk fills up.
_WAL_SIZE_LIMIT_BYTES = 2 * 1024 * 1024
_SEQUENCE_KEY = "sequence"


class Evictable(IntEnum):
    """Eviction class of a row: lower goes first when the budget is exceeded."""

    SNAPSHOT = 0
    UPDATE = 1
    PROTECTED = 2


class OutboxError(RuntimeError):
    """The outbox cannot store or read messages (disk full, locked, corrupt)."""

    def __init__(self, message: str, *, disk_full: bool = False) -> None:
        super().__init__(message)
        self.disk_full = disk_full


class OutboxLockedError(OutboxError):
    """Another running publisher holds the outbox: a set-up error, never retried."""


def _error(message: str, cause: BaseException) -> OutboxError:
    return OutboxError(f"{message}: {cause}", disk_full=_is_disk_full(cause))


def _is_disk_full(e: BaseException) -> bool:
    if isinstance(e, sqlite3.Error):
        code = getattr(e, "sqlite_errorcode", None)
        return (code is not None and code & 0xFF == sqlite3.SQLITE_FULL) or "is full" in str(e)
    return isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)


@dataclass(frozen=True)
class Message:
    """One message to store; `sequence` is the event's box sequence number, if it has one."""

    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = False
    event_id: str | None = None
    violation_id: str | None = None
    phase: str | None = None
    cls: Evictable = Evictable.PROTECTED
    sequence: int | None = None
    created_s: float | None = None  # when it was emitted (default: now)


@dataclass(frozen=True)
class OutboxRow:
    seq: int
    topic: str
    payload: bytes
    qos: int
    retain: bool
    event_id: str | None
    violation_id: str | None
    created_s: float


@dataclass(frozen=True)
class Usage:
    depth: int
    bytes: int
    merged: int
    dropped: int
    over_budget: bool


class Outbox:
    """Thread-safe (one connection behind a lock); one process at a time (flock)."""

    def __init__(self, path: Path, max_bytes: int, high_water_frac: float = 0.8) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.high_water_bytes = int(max_bytes * high_water_frac)
        self.merged = 0
        self.dropped = 0
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _error(f"cannot open outbox {self.path}", e) from e
        self._lockfile = _lock_exclusive(self.path)
        db: sqlite3.Connection | None = None
        try:
            db = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, timeout=10.0
            )
            db.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit survives power loss too, not only a killed process.
            db.execute("PRAGMA synchronous=FULL")
            db.execute(f"PRAGMA wal_autocheckpoint={_WAL_AUTOCHECKPOINT_PAGES}")
            db.execute(f"PRAGMA journal_size_limit={_WAL_SIZE_LIMIT_BYTES}")
            db.executescript(_SCHEMA)
            depth, used = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM outbox"
            ).fetchone()
            row = db.execute("SELECT value FROM meta WHERE key = ?", (_SEQUENCE_KEY,)).fetchone()
        except sqlite3.Error as e:
            # Close both, or a half-opened outbox keeps its files (and their mount) busy.
            if db is not None:
                with contextlib.suppress(sqlite3.Error):
                    db.close()
            self._lockfile.close()
            raise _error(f"cannot open outbox {self.path}", e) from e
        self._db = db
        self._depth, self._bytes = int(depth), int(used)
        self.last_sequence = int(row[0]) if row is not None else 0
        if depth:
            log.info("outbox %s: %d message(s) from a previous run to send", self.path, depth)

    def put(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        event_id: str | None = None,
        violation_id: str | None = None,
        phase: str | None = None,
        cls: Evictable = Evictable.PROTECTED,
        sequence: int | None = None,
    ) -> int:
        """Store one message durably (committed on return); returns its row number."""
        return self.put_many([Message(topic, payload, qos, retain, event_id, violation_id,
                                      phase, cls, sequence)])[0]

    def put_many(self, messages: Sequence[Message]) -> list[int]:
        """Store messages in one transaction (all or none, committed on return), in order;
        raises the persisted sequence number to the highest `sequence` among them."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                seqs = [self._insert(m) for m in messages]
                depth = self._depth + len(messages)
                used = self._bytes + sum(len(m.payload) for m in messages)
                evicted, merged, dropped = (0, 0, 0)
                if used > self.max_bytes:
                    evicted, merged, dropped = self._evict(used - self.max_bytes)
                top = max((m.sequence for m in messages if m.sequence is not None), default=None)
                if top is not None:
                    self._raise_sequence(top)
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise _error(f"cannot store message in outbox {self.path}", e) from e
            self._depth = depth - merged - dropped
            self._bytes = used - evicted
            self.merged += merged
            self.dropped += dropped
            if top is not None:
                self.last_sequence = max(self.last_sequence, top)
            return seqs

    def save_sequence(self, sequence: int) -> None:
        """Persist the box sequence number alone (never lowers it). A small real write, so it
        also tells whether the outbox can write again."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._raise_sequence(sequence)
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise _error(f"cannot write to outbox {self.path}", e) from e
            self.last_sequence = max(self.last_sequence, sequence)

    def _insert(self, m: Message) -> int:
        cur = self._db.execute(
            "INSERT INTO outbox (topic, payload, qos, retain, event_id, violation_id,"
            " phase, cls, size, created_s) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (m.topic, m.payload, m.qos, int(m.retain), m.event_id, m.violation_id, m.phase,
             int(m.cls), len(m.payload), m.created_s if m.created_s is not None else time.time()),
        )
        return int(cur.lastrowid or 0)

    def _raise_sequence(self, sequence: int) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE"
            " SET value = max(value, excluded.value)", (_SEQUENCE_KEY, sequence))

    def _evict(self, excess: int) -> tuple[int, int, int]:
        """Delete rows (inside the caller's transaction); returns (bytes, merged, dropped)."""
        freed = merged = dropped = 0
        steps = (
            ("SELECT seq, size FROM outbox WHERE cls = 0 ORDER BY seq", False),
            ("SELECT o.seq, o.size FROM outbox o WHERE o.cls = 1 AND EXISTS (SELECT 1 FROM"
             " outbox n WHERE n.violation_id = o.violation_id AND n.seq > o.seq AND n.cls >= 1)"
             " ORDER BY o.seq", True),
            ("SELECT seq, size FROM outbox WHERE cls = 1 ORDER BY seq", False),
        )
        for query, is_merge in steps:
            for seq, size in self._db.execute(query).fetchall():
                if freed >= excess:
                    return freed, merged, dropped
                self._db.execute("DELETE FROM outbox WHERE seq = ?", (seq,))
                freed += int(size)
                if is_merge:
                    merged += 1
                else:
                    dropped += 1
        return freed, merged, dropped

    def pending_after(self, after_seq: int, limit: int) -> list[OutboxRow]:
        """The oldest `limit` rows with seq > after_seq, in order."""
        with self._lock:
            try:
                rows = self._db.execute(
                    "SELECT seq, topic, payload, qos, retain, event_id, violation_id, created_s"
                    " FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                    (after_seq, limit),
                ).fetchall()
            except sqlite3.Error as e:
                raise _error(f"cannot read outbox {self.path}", e) from e
        return [
            OutboxRow(int(s), t, bytes(p), int(q), bool(r), e, v, float(c))
            for s, t, p, q, r, e, v, c in rows
        ]

    def delete(self, seqs: Iterable[int]) -> None:
        """Forget acknowledged rows (one transaction; a crash before it only causes resends)."""
        keys = [(s,) for s in seqs]
        if not keys:
            return
        with self._lock:
            try:
                # A delete lost to power failure only means a resend (de-duplicated by id),
                # so it skips the fsync; the next put's FULL commit syncs the WAL anyway.
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("BEGIN IMMEDIATE")
                gone = 0
                freed = 0
                for key in keys:
                    row = self._db.execute("DELETE FROM outbox WHERE seq = ? RETURNING size", key)
                    hit = row.fetchone()
                    if hit is not None:
                        gone += 1
                        freed += int(hit[0])
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise _error(f"cannot delete acknowledged rows from {self.path}", e) from e
            finally:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("PRAGMA synchronous=FULL")
            self._depth -= gone
            self._bytes -= freed

    def is_pending(self, violation_id: str) -> bool:
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT 1 FROM outbox WHERE violation_id = ? LIMIT 1", (violation_id,)
                ).fetchone()
            except sqlite3.Error as e:
                raise _error(f"cannot read outbox {self.path}", e) from e
        return row is not None

    def usage(self) -> Usage:
        with self._lock:
            return Usage(self._depth, self._bytes, self.merged, self.dropped,
                         self._bytes > self.max_bytes)

    def close(self) -> None:
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._lockfile.close()


def _lock_exclusive(path: Path) -> IO[bytes]:
    try:
        f = open(f"{path}.lock", "ab")  # noqa: SIM115 - held open for the outbox's lifetime
    except OSError as e:
        raise _error(f"cannot open outbox {path}", e) from e
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        raise OutboxLockedError(
            f"outbox {path} is in use by another running publisher (lock file {path}.lock); "
            "run one publisher per outbox"
        ) from None
    os.set_inheritable(f.fileno(), False)
    return f
