"""`Store`: the one object the rest of the console talks to (see the package docstring for
the whole API). Each method is one transaction; the work is done by the modules named in
each method."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, delete, select, text

from console.store import audit, devices, ingest, migrate, queries, review, rows, stats
from console.store.changes import CHANNEL, Change, ChangeHub, PgListener, Subscription
from console.store.db import Database
from console.store.model import (
    AuditEntry,
    Box,
    Camera,
    IngestResult,
    Neighbours,
    Page,
    PhaseRecord,
    SiteCounts,
    Stats,
    UnhandledCount,
    Violation,
    ViolationFilter,
)
from console.store.scope import Actor, Scope
from console.store.tables import audit as audit_table
from console.store.tables import events_seen
from console.store.tx import Tx
from console.store.wire import review_event
from publisher.events import Event

log = logging.getLogger(__name__)
T = TypeVar("T")
CONFIG_CHANGE = "config_change"


class Store:
    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._hub = ChangeHub()
        self._listener: PgListener | None = None
        self._listener_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(
        cls, url: str, *, clock: Callable[[], float] = time.time, busy_timeout_s: float = 10.0,
        echo: bool = False,
    ) -> Store:
        """Connect and migrate the schema to head (see db.py for the URL forms)."""
        db = Database(url, busy_timeout_s=busy_timeout_s, echo=echo)
        try:
            migrate.upgrade(db)
        except Exception:
            db.close()
            raise
        store = cls(db, clock=clock)
        store.optimize()
        return store

    def optimize(self, *, force: bool = False) -> bool:
        """Refresh SQLite's query planner statistics when the table grew or shrank by a
        fifth since they were taken (True when it did). SQLite has no autovacuum to do it,
        and without them it cannot tell a selective filter (one site of hundreds) from a
        weak one (one camera name of eight). A full ANALYZE, because a sampled one
        (analysis_limit) misjudges exactly those leading columns; about 2 s per million
        violations. Called at open; call it daily on a long-running box. PostgreSQL's
        autovacuum keeps its own statistics: nothing to do."""
        if self.db.is_postgres:
            return False
        with self.db.write() as conn:
            rows = conn.exec_driver_sql("SELECT count(*) FROM violations").scalar_one()
            has_stats = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
            stat = conn.exec_driver_sql(
                "SELECT stat FROM sqlite_stat1 WHERE idx = 'ix_violations_started'"
            ).scalar() if has_stats else None
            analysed = int(str(stat).split()[0]) if stat else 0
            if not force and abs(rows - analysed) <= 0.2 * max(analysed, 1000):
                return False
            conn.exec_driver_sql("ANALYZE")
        log.info("query planner statistics refreshed (%d violations)", rows)
        return True

    @property
    def schema_version(self) -> str | None:
        """The migration revision the database is at."""
        with self.db.read() as conn:
            return migrate.current_version(conn)

    @staticmethod
    def head_version() -> str:
        """The newest migration revision this code ships."""
        return migrate.head_version()

    def ping(self) -> bool:
        """True when the database answers (the centre's /health)."""
        try:
            with self.db.read() as conn:
                conn.execute(text("SELECT 1"))
        except Exception:  # any failure means "not reachable now"
            log.warning("store ping failed", exc_info=True)
            return False
        return True

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
        self._hub.close_all()
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transactions

    def transact(self, fn: Callable[[Tx], T]) -> T:
        """Run `fn` in one write transaction (retried whole on a PostgreSQL deadlock) and
        announce the changes it recorded in `tx.changes` once committed. For the console's
        own modules (auth); the web app uses the methods below."""
        committed: list[Change] = []

        def attempt(conn: Connection) -> T:
            tx = Tx(self.db, conn, self.clock())
            result = fn(tx)
            if self.db.is_postgres and len(tx.changes):
                # One statement for all (an ingest batch makes hundreds of changes).
                conn.exec_driver_sql("SELECT pg_notify(%s, p) FROM unnest(%b::text[]) AS p",
                                     (CHANNEL, [c.to_json() for c in tx.changes]))
            committed[:] = list(tx.changes)
            return result

        result = self.db.run_write(attempt)
        if not self.db.is_postgres:
            self._hub.publish(committed)
        return result

    def _read(self, fn: Callable[[Connection], T]) -> T:
        with self.db.read() as conn:
            return fn(conn)

    # ------------------------------------------------------------------ ingest

    def ingest(self, event: Mapping[str, Any] | Event) -> IngestResult:
        """Apply one event (see ingest_many)."""
        return self.ingest_many([event])[0]

    def ingest_many(self, events: Iterable[Mapping[str, Any] | Event], *,
                    defer_busy: bool = False) -> list[IngestResult]:
        """Apply a batch; one result per event, in order. Acknowledge the batch to the
        broker only after this returns. Events come as received JSON (the centre's MQTT
        ingest) or as typed events (the box's own dispatcher). With `defer_busy`, events
        of a violation another transaction holds on PostgreSQL are not waited for: they
        come back `deferred`, unapplied, to be given again (console/store/ingest.py)."""
        items = [ingest.prepare(e.to_wire() if isinstance(e, Event) else e) for e in events]
        if not any(ingest.needs_transaction(i) for i in items):
            return [i.result for i in items if isinstance(i, ingest.Unapplied)]
        apart = self.db.is_postgres  # the boxes' rows in a short transaction of their own
        results, work = self.transact(lambda tx: ingest.apply_batch(
            tx, items, defer_busy=defer_busy, boxes_apart=apart))
        if work is not None:
            self.transact(lambda tx: ingest.apply_boxes(tx, work))
        return results

    def record_box_status(self, site_id: str, box_id: str, payload: Mapping[str, Any]) -> bool:
        """A retained box status message; False when older than what the store has."""
        return self.transact(lambda tx: devices.record_box_status(tx, site_id, box_id, payload))

    def record_camera_status(self, payload: Mapping[str, Any]) -> bool:
        """A retained camera status message ({site_id, box_id, camera_id, state, time,
        detail}); False when older than what the store has."""
        return self.transact(lambda tx: devices.record_camera_status(tx, payload))

    def record_statuses(self, messages: Sequence[devices.StatusMessage]) -> list[bool | None]:
        """Many retained status messages in one transaction (a replica that subscribes is
        sent one per box and per camera at once); per message: applied, older than what
        the store has (False), or malformed (None)."""
        return self.transact(lambda tx: [devices.record_status(tx, m) for m in messages])

    def prune_events_seen(self, before_ts: float) -> int:
        """Forget event ids received before `before_ts` (keep at least a few days: a
        redelivery older than that would be applied again, though phases and decisions
        themselves stay de-duplicated by their own tables)."""
        def run(tx: Tx) -> int:
            return tx.conn.execute(
                delete(events_seen).where(events_seen.c.received_ts < before_ts)).rowcount
        return self.transact(run)

    # ------------------------------------------------------------------ reads

    def list_violations(
        self, filters: ViolationFilter, scope: Scope, limit: int = 50,
        cursor: str | None = None,
    ) -> Page[Violation]:
        """A page, newest first; pass `next_cursor` back for the next one."""
        return self._read(lambda c: queries.list_violations(c, filters, scope, limit, cursor))

    def get_violation(self, violation_id: str, scope: Scope) -> Violation:
        return self._read(lambda c: rows.get(c, violation_id, scope))

    def get_violations(self, violation_ids: Iterable[str], scope: Scope) -> list[Violation]:
        """Several at once, in the order asked; ids missing or outside the scope are left
        out (the live stream re-reads a burst of changes with one query)."""
        ids = list(dict.fromkeys(violation_ids))
        return self._read(lambda c: queries.by_ids(c, ids, scope))

    def count_violations(self, filters: ViolationFilter, scope: Scope) -> int:
        return self._read(lambda c: queries.count_violations(c, filters, scope))

    def phases(self, violation_id: str, scope: Scope) -> list[PhaseRecord]:
        return self._read(lambda c: queries.phases(c, violation_id, scope))

    def audit_of(self, violation_id: str, scope: Scope) -> list[AuditEntry]:
        return self._read(lambda c: queries.audit_of(c, violation_id, scope))

    def neighbours(self, violation_id: str, scope: Scope, n: int = 5) -> Neighbours:
        return self._read(lambda c: queries.neighbours(c, violation_id, scope, n))

    def counts_unhandled(self, scope: Scope) -> list[UnhandledCount]:
        return self._read(lambda c: queries.counts_unhandled(c, scope))

    def stats(
        self, scope: Scope, since_ts: float, until_ts: float, tz: str | ZoneInfo
    ) -> Stats:
        return self._read(lambda c: stats.stats(c, scope, since_ts, until_ts, tz))

    def counts_by_site(self, scope: Scope) -> list[SiteCounts]:
        """Unhandled and overdue violations per site (the fleet board)."""
        return self._read(lambda c: queries.counts_by_site(c, scope))

    def cameras(self, scope: Scope) -> list[Camera]:
        return self._read(lambda c: queries.list_cameras(c, scope))

    def boxes(self, scope: Scope) -> list[Box]:
        return self._read(lambda c: queries.list_boxes(c, scope))

    # ------------------------------------------------------------------ review

    def _act(self, violation_id: str, actor: Actor, fn: Callable[[Tx], None]) -> Violation:
        def run(tx: Tx) -> Violation:
            fn(tx)
            return rows.get(tx.conn, violation_id, actor.scope)
        return self.transact(run)

    def claim(self, violation_id: str, actor: Actor, *, force: bool = False) -> Violation:
        return self._act(violation_id, actor,
                         lambda tx: review.claim(tx, violation_id, actor, force))

    def release(self, violation_id: str, actor: Actor, *, force: bool = False) -> Violation:
        return self._act(violation_id, actor,
                         lambda tx: review.release(tx, violation_id, actor, force))

    def decide(
        self, violation_id: str, actor: Actor, decision: str, reason: str | None = None,
        comment: str | None = None, dispatched_to: str | None = None, *,
        expected_version: int | None = None, force: bool = False,
    ) -> Violation:
        return self._act(violation_id, actor, lambda tx: review.decide(
            tx, violation_id, actor, decision, reason=reason, comment=comment,
            dispatched_to=dispatched_to, expected_version=expected_version, force=force))

    def reopen(self, violation_id: str, actor: Actor, comment: str) -> Violation:
        return self._act(violation_id, actor,
                         lambda tx: review.reopen(tx, violation_id, actor, comment))

    def comment(self, violation_id: str, actor: Actor, text: str) -> Violation:
        return self._act(violation_id, actor,
                         lambda tx: review.comment(tx, violation_id, actor, text))

    def mark_overdue(
        self, now_ts: float, after_s: float, scope: Scope | None = None, limit: int = 1000
    ) -> list[Violation]:
        """Newly overdue violations (each returned once, ever), oldest first."""
        sc = scope or Scope.all()

        def run(tx: Tx) -> list[Violation]:
            ids = review.mark_overdue(tx, now_ts, after_s, sc, limit)
            return [rows.get(tx.conn, vid, sc) for vid in ids]
        return self.transact(run)

    def review_event(
        self, violation_id: str, scope: Scope, source: str | None = None
    ) -> dict[str, Any] | None:
        """The `sitewarden.review.decided` event of the violation's current decision (or
        reopening), to publish after decide/reopen; None when it was never decided."""
        def run(conn: Connection) -> dict[str, Any] | None:
            v = rows.get(conn, violation_id, scope)
            if v.decision_event_id is None:
                return None
            row = conn.execute(select(audit_table).where(
                audit_table.c.event_id == v.decision_event_id)).first()
            return review_event(v, audit.entry(row), source) if row is not None else None
        return self._read(run)

    # ------------------------------------------------------------------ configuration

    def log_config_change(self, actor: str, site_id: str | None, detail: dict[str, Any]) -> None:
        """Log a change of the site's configuration (the zone editor: who, the versions
        and the unified diff of the file) in the audit log."""
        self.transact(lambda tx: audit.append(tx, actor=actor, action=CONFIG_CHANGE,
                                              detail=detail, site_id=site_id))

    def config_changes(self, site_id: str | None = None, limit: int = 50) -> list[AuditEntry]:
        """The newest configuration changes, newest first."""
        return self._read(lambda c: audit.of_action(c, CONFIG_CHANGE, site_id, limit))

    # ------------------------------------------------------------------ changes

    def subscribe(self, max_queue: int = 1000) -> Subscription:
        """Changes committed from now on (by any replica on PostgreSQL)."""
        if self.db.is_postgres:
            self._ensure_listener()
        return self._hub.subscribe(max_queue)

    def _ensure_listener(self) -> None:
        with self._listener_lock:
            if self._listener is None:
                url = self.db.engine.url.set(drivername="postgresql")
                self._listener = PgListener(url.render_as_string(hide_password=False), self._hub)
                self._listener.start()

