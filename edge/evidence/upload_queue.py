"""Durable upload queue: SQLite in WAL mode, one row per evidence file not yet in the store.

A row is committed (synchronous=FULL) when a violation's files are complete and deleted once
the object store has the file, so a restart, a crash or a week-long outage of the store loses
nothing: the next run uploads what is left.

A full disk must not lose entries either. Every change is made in memory first; a change the
database cannot take (SQLITE_FULL, I/O error, a database that could not even be opened) stays
in an in-memory overlay, `flush()` retries it, and readers see the overlay over the table. The
queue is thus correct while the process lives and durable again as soon as the disk has room.

Thread-safe: one connection behind one lock (evidence workers add, the uploader takes, and
retention asks `is_pending`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple, dataclass, fields, replace
from pathlib import Path

log = logging.getLogger(__name__)

PENDING = "pending"
PARKED = "parked"  # will never succeed as it is (a 4xx such as EntityTooLarge): kept for a look

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
    key          TEXT    PRIMARY KEY,
    seq          INTEGER NOT NULL,
    path         TEXT    NOT NULL,
    unit         TEXT    NOT NULL,
    violation_id TEXT    NOT NULL,
    camera_id    TEXT    NOT NULL,
    sha256       TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    content_type TEXT    NOT NULL,
    attempts     INTEGER NOT NULL,
    next_try_s   REAL    NOT NULL,
    state        TEXT    NOT NULL,
    last_error   TEXT,
    created_s    REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_due ON uploads (state, next_try_s, seq);
"""


@dataclass(frozen=True)
class UploadItem:
    """One file to upload. `unit` is the violation's folder name: what retention keeps."""

    key: str
    seq: int
    path: str
    unit: str
    violation_id: str
    camera_id: str
    sha256: str
    size: int
    content_type: str
    attempts: int = 0
    next_try_s: float = 0.0
    state: str = PENDING
    last_error: str | None = None
    created_s: float = 0.0


_COLUMNS = [f.name for f in fields(UploadItem)]
_INSERT = (f"INSERT OR REPLACE INTO uploads ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(_COLUMNS))})")
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM uploads"
Change = UploadItem | None  # None: the row is gone (uploaded or dropped)


class UploadQueue:
    def __init__(
        self, path: Path, clock: Callable[[], float] = time.time,
        on_persist: Callable[[bool, str], None] | None = None,
    ) -> None:
        """`on_persist(ok, error)` is called after every attempt to write the table."""
        self.path = Path(path)
        self._clock = clock
        self._on_persist = on_persist
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._overlay: dict[str, Change] = {}  # changes the table does not have yet
        self._pending_by_unit: Counter[str] = Counter()
        self._seq = 0
        self.open_error: str | None = None
        with self._lock:
            self._open()

    # ---- opening -------------------------------------------------------------------------
    def _open(self) -> bool:
        """Open (or retry opening) the table; on success, count what a previous run left."""
        if self._db is not None:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), isolation_level=None,
                                 check_same_thread=False, timeout=10.0)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.executescript(_SCHEMA)
                rows = db.execute("SELECT key, unit, state FROM uploads").fetchall()
                top = db.execute("SELECT COALESCE(MAX(seq), 0) FROM uploads").fetchone()[0]
            except sqlite3.Error:
                db.close()
                raise
        except (sqlite3.Error, OSError) as e:
            if self.open_error is None:  # once, not at every retry
                log.warning("upload queue %s cannot be opened (%s): entries kept in memory",
                            self.path, e)
            self.open_error = str(e)
            return False
        self._db, self.open_error = db, None
        self._seq = max(self._seq, int(top))
        for key, unit, state in rows:
            if key not in self._overlay and state == PENDING:
                self._pending_by_unit[unit] += 1
        if rows:
            log.info("upload queue %s: %d file(s) from a previous run", self.path, len(rows))
        return True

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # ---- changes -------------------------------------------------------------------------
    def add(self, items: Iterable[UploadItem]) -> list[UploadItem]:
        """Queue files (a file already queued under the same key is replaced, attempts reset).
        `seq` and `created_s` are assigned here; returns the stored items. Never raises."""
        now = self._clock()
        with self._lock:
            stored = []
            for item in items:
                self._seq += 1
                stored.append(replace(item, seq=self._seq, created_s=now, attempts=0,
                                      next_try_s=now, state=PENDING, last_error=None))
            self._change({i.key: i for i in stored}, sync_full=True)
            return stored

    def put(self, item: UploadItem) -> None:
        """Store a new state of a queued file (attempts, next try, parked)."""
        with self._lock:
            self._change({item.key: item}, sync_full=False)

    def remove(self, item: UploadItem) -> None:
        """The file is in the store (or gone from the disk): forget it."""
        with self._lock:
            self._change({item.key: None}, sync_full=False)

    def _change(self, changes: dict[str, Change], sync_full: bool) -> None:
        for key, new in changes.items():
            old_unit = self._pending_unit(key)
            if old_unit is not None:
                self._pending_by_unit[old_unit] -= 1
                if self._pending_by_unit[old_unit] <= 0:
                    del self._pending_by_unit[old_unit]
            if new is not None and new.state == PENDING:
                self._pending_by_unit[new.unit] += 1
            self._overlay[key] = new
        # older entries that only memory holds go with this write: they may be new files
        self._flush(sync_full or len(self._overlay) > len(changes))

    def _pending_unit(self, key: str) -> str | None:
        """The unit of `key` if it is queued and pending now (overlay over table)."""
        if key in self._overlay:
            cur = self._overlay[key]
            return cur.unit if cur is not None and cur.state == PENDING else None
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT unit, state FROM uploads WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return row[0] if row is not None and row[1] == PENDING else None

    # ---- persistence ---------------------------------------------------------------------
    def flush(self) -> bool:
        """Write changes kept in memory; True when the table holds everything."""
        with self._lock:
            return self._flush(sync_full=True)

    def _flush(self, sync_full: bool) -> bool:
        if not self._overlay:
            return True
        if not self._open():
            self._notify(False, self.open_error or "cannot open")
            return False
        assert self._db is not None
        batch = dict(self._overlay)
        try:
            # An upload lost to a power cut is only uploaded again (same key, same bytes), so
            # removals and retry counts skip the fsync; a new entry must survive it.
            self._db.execute(f"PRAGMA synchronous={'FULL' if sync_full else 'NORMAL'}")
            self._db.execute("BEGIN IMMEDIATE")
            upserts = [astuple(v) for v in batch.values() if v is not None]
            self._db.executemany(_INSERT, upserts)
            self._db.executemany("DELETE FROM uploads WHERE key = ?",
                                 [(k,) for k, v in batch.items() if v is None])
            self._db.execute("COMMIT")
        except sqlite3.Error as e:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
            self._notify(False, str(e))
            return False
        for key, value in batch.items():
            if self._overlay.get(key, value) is value:  # unchanged since the batch was taken
                del self._overlay[key]
        self._notify(True, "")
        return True

    def _notify(self, ok: bool, error: str) -> None:
        if self._on_persist is not None:
            self._on_persist(ok, error)

    # ---- reading -------------------------------------------------------------------------
    def due(self, now: float, limit: int) -> list[UploadItem]:
        """Pending files whose next try has come, oldest first."""
        with self._lock:
            rows = self._query(f"{_SELECT} WHERE state = ? AND next_try_s <= ? "
                               "ORDER BY next_try_s, seq LIMIT ?",
                               (PENDING, now, limit + len(self._overlay)))
            live = [r for r in rows if r.key not in self._overlay]
            live += [v for v in self._overlay.values()
                     if v is not None and v.state == PENDING and v.next_try_s <= now]
        live.sort(key=lambda i: (i.next_try_s, i.seq))
        return live[:limit]

    def next_due_s(self) -> float | None:
        """When the earliest pending file is due (None: nothing pending)."""
        with self._lock:
            times = [v.next_try_s for v in self._overlay.values()
                     if v is not None and v.state == PENDING]
            rows = self._query(f"{_SELECT} WHERE state = ? ORDER BY next_try_s, seq LIMIT ?",
                               (PENDING, len(self._overlay) + 1))
            times += [r.next_try_s for r in rows if r.key not in self._overlay]
        return min(times) if times else None

    def items(self, state: str | None = None) -> list[UploadItem]:
        """Every queued file (or those in `state`), oldest first; for stats and tests."""
        with self._lock:
            rows = {r.key: r for r in self._query(f"{_SELECT} ORDER BY seq", ())}
            rows.update(self._overlay)  # type: ignore[arg-type]
        out = [r for r in rows.values() if r is not None and (state is None or r.state == state)]
        return sorted(out, key=lambda i: i.seq)

    def _query(self, sql: str, args: Sequence[object]) -> list[UploadItem]:
        if self._db is None:
            return []
        try:
            return [UploadItem(*row) for row in self._db.execute(sql, tuple(args)).fetchall()]
        except sqlite3.Error as e:
            log.warning("upload queue %s cannot be read: %s", self.path, e)
            return []

    def is_pending(self, unit: str) -> bool:
        """Files of this violation folder still wait for the store (retention keeps it)."""
        with self._lock:
            return self._pending_by_unit.get(unit, 0) > 0

    def counts(self) -> dict[str, int]:
        with self._lock:
            pending = sum(self._pending_by_unit.values())
            parked = {r.key for r in self._query(f"{_SELECT} WHERE state = ?", (PARKED,))}
            for key, v in self._overlay.items():
                if v is not None and v.state == PARKED:
                    parked.add(key)
                else:
                    parked.discard(key)
            return {"pending": pending, "parked": len(parked), "unpersisted": len(self._overlay)}
