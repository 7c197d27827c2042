"""The centre's ingest: MQTT messages -> batches -> one store transaction -> acknowledgements.

    sub = Subscriber(cfg.mqtt, on_message=ingest.submit)     # console/centre/mqtt.py
    ingest = Ingest(store, cfg.ingest, cfg.mqtt.topic_prefix, ack=sub.ack)
    threads: sub.run(), ingest.run();  stop: ingest.stop(); sub.stop()

At-least-once, end to end: a message is acknowledged to the broker only after the
transaction holding its effect committed. Messages are taken in batches (up to
`batch_max_events`, or what arrived within `batch_max_wait_ms` of the first), applied with
`Store.ingest_many` (events: idempotent by id, order-independent per violation) and
`Store.record_statuses` (retained statuses), and the whole batch is then acknowledged in
arrival order. A replica killed at any point loses nothing: what it had not acknowledged
stays in its persistent session and the broker sends it again; what it had committed comes
back as duplicates and changes nothing.

Bad messages never block: oversized, not JSON, on an unexpected topic, naming another site
or box than their topic, malformed or of an unknown type - each is counted by reason,
logged with its topic (once a minute per reason), and acknowledged with its batch. A message
the database refuses (a value it cannot store) is found by splitting its batch and is
rejected alone as `store_error`.

Replicas do not take turns: an event whose violation another replica's transaction holds
right now is not waited for (`Store.ingest_many(defer_busy=True)`); it is held and applied
with the next batch, and it and every message after it stay unacknowledged until then
(acknowledgements go in arrival order). After `_MAX_DEFERS` tries it is waited for, so
every event is applied within a few batches; a clean stop waits for all of them.

The database unreachable: nothing is acknowledged, the batch is retried with the shared
capped, jittered backoff (publisher/backoff.py) until it commits; the broker stops sending
once Receive Maximum messages are unacknowledged, so memory stays bounded.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exc as sa_exc

from console.centre.config import IngestConfig
from console.centre.messages import EventIn, Rejected, Skip, StatusIn, classify
from console.centre.mqtt import Received
from console.centre.stats import IngestStats
from console.store import IngestResult, Store
from publisher.backoff import Backoff
from publisher.ratelog import RateLimitedLog

log = logging.getLogger(__name__)

Ack = Callable[[list[Received]], None]
_PRUNE_EVERY_S = 3600.0
# Tries with the violation's lock not waited for; then it is waited for. Two or three
# batches' time at most: the other replica commits its batch meanwhile.
_MAX_DEFERS = 3


@dataclass
class _Held:
    """An event deferred (its violation busy in another replica's transaction)."""

    m: Received
    event: dict[str, Any]
    defers: int


def is_unavailable(e: BaseException) -> bool:
    """The database cannot be reached or is failing as a whole (retry the batch later), as
    opposed to refusing this data (split the batch, reject the culprit)."""
    if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
        return True
    return isinstance(e, sa_exc.OperationalError | sa_exc.InterfaceError
                      | sa_exc.TimeoutError | OSError)


class Ingest:
    def __init__(
        self, store: Store, cfg: IngestConfig, prefix: str, ack: Ack, *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.cfg = cfg
        self.prefix = prefix
        self._ack = ack
        self._clock = clock
        self._queue: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._backoff = Backoff(cfg.retry_initial_s, cfg.retry_max_s)
        self._limited = RateLimitedLog(log)
        self._next_prune_s = time.monotonic() + 60.0
        self._unacked: list[Received] = []  # taken, not acknowledged yet, arrival order
        self._held: list[_Held] = []  # deferred events, applied again with the next batch
        self.stats = IngestStats()

    # ---------------------------------------------------------------- any thread

    def submit(self, m: Received) -> None:
        """A message from the subscriber's I/O thread (never blocks)."""
        self._queue.put(m)

    def stop(self) -> None:
        self._stopping.set()

    def snapshot(self) -> dict[str, Any]:
        return {**self.stats.snapshot(), "queued": self._queue.qsize(),
                "held": len(self._held)}

    # ---------------------------------------------------------------- ingest thread

    def run(self) -> None:
        """Batches until stop(); then what is already queued is committed and acknowledged
        (bounded by the broker's Receive Maximum), so a clean stop leaves nothing behind."""
        while not self._stopping.is_set():
            try:
                self.step(0.5)
                self._housekeeping()
            except Exception:  # the loop must outlive any bug; the batch comes again
                log.exception("ingest loop error")
                self._stopping.wait(1.0)
        while self.step(0.0, stopping=True):
            pass

    def step(self, timeout_s: float, *, stopping: bool = False) -> int:
        """Take one batch (waiting up to timeout_s for its first message), commit it with
        the events held from before, and acknowledge what is done; the number of messages
        and held events handled."""
        if self._held:  # they go again soon, with whatever arrives meanwhile
            timeout_s = min(timeout_s, self.cfg.batch_max_wait_ms / 1000.0)
        batch = self._next_batch(timeout_s)
        handled = len(batch) + len(self._held)
        if not handled:
            return 0
        if self._commit(batch, stopping=stopping):
            self._unacked += batch
            self._ack_done()
        return handled

    def _ack_done(self) -> None:
        """Acknowledge, in arrival order, every message up to the first one held."""
        held = {id(h.m) for h in self._held}
        n = next((i for i, m in enumerate(self._unacked) if id(m) in held),
                 len(self._unacked))
        done, self._unacked = self._unacked[:n], self._unacked[n:]
        if done:
            self._ack(done)
            now_s = time.monotonic()
            self.stats.acked([(now_s - m.received_s) * 1000.0 for m in done])

    def _next_batch(self, timeout_s: float) -> list[Received]:
        try:
            first = self._queue.get(timeout=timeout_s) if timeout_s > 0 else \
                self._queue.get_nowait()
        except queue.Empty:
            return []
        batch = [first]
        deadline = first.received_s + self.cfg.batch_max_wait_ms / 1000.0
        while len(batch) < self.cfg.batch_max_events:
            left = deadline - time.monotonic()
            try:
                batch.append(self._queue.get(timeout=left) if left > 0 else
                             self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _commit(self, batch: list[Received], *, stopping: bool) -> bool:
        """Apply the batch; False when stopping before the database came back (then
        nothing is acknowledged and the broker sends the batch again)."""
        self.stats.count("received", len(batch))
        events: list[tuple[Received, dict[str, Any]]] = []
        statuses: list[tuple[Received, StatusIn]] = []
        for m in batch:
            c = classify(m.topic, m.payload, self.prefix, self.cfg.max_payload_bytes)
            if isinstance(c, EventIn):
                events.append((m, c.event))
            elif isinstance(c, StatusIn):
                statuses.append((m, c))
            elif isinstance(c, Skip):
                self.stats.count("skipped")
            else:
                self._rejected(m, c)
        self.stats.count("events", len(events))
        self.stats.count("statuses", len(statuses))
        todo = self._held + [_Held(m, e, 0) for m, e in events]
        # Waited for when stopping (nothing is left held) or after _MAX_DEFERS tries.
        defer = not stopping and all(h.defers < _MAX_DEFERS for h in todo)
        t0 = time.perf_counter()
        done_events = not todo
        while True:
            try:
                if not done_events:
                    pairs = [(h.m, h.event) for h in todo]
                    self._held = self._count_results(todo, self._apply(pairs, defer))
                    done_events = True
                if statuses:
                    self.store.record_statuses([s.status for _, s in statuses])
                break
            except Exception as e:
                if not is_unavailable(e):
                    raise
                if not self._wait_for_database(e) or stopping:
                    return False
        self._recovered()
        self._record_batch(todo, t0)
        return True

    def _apply(
        self, events: Sequence[tuple[Received, dict[str, Any]]], defer: bool
    ) -> list[IngestResult | Rejected]:
        """ingest_many; a batch the database refuses (not: cannot be reached) is split in
        halves until the message it refuses is alone, and that one is rejected."""
        try:
            return list(self.store.ingest_many([e for _, e in events], defer_busy=defer))
        except Exception as e:
            if is_unavailable(e):
                raise
            if len(events) == 1:
                return [Rejected("store_error", f"{type(e).__name__}: {e}"[:500])]
            half = len(events) // 2
            return self._apply(events[:half], defer) + self._apply(events[half:], defer)

    def _count_results(
        self, todo: Sequence[_Held], results: Sequence[IngestResult | Rejected],
    ) -> list[_Held]:
        """Count each outcome; the events deferred, to hold for the next batch."""
        held: list[_Held] = []
        for h, r in zip(todo, results, strict=True):
            m = h.m
            if isinstance(r, Rejected):
                self._rejected(m, r)
            elif r.status == "deferred":
                self.stats.count("deferred")
                held.append(_Held(m, h.event, h.defers + 1))
            elif r.status == "applied":
                self.stats.count("applied")
            elif r.status == "duplicate":
                self.stats.count("duplicates")
            elif r.status == "ignored" or (r.error or "").startswith("not a sitewarden event"):
                self._rejected(m, Rejected("unknown_type", r.error or ""))
            else:
                self._rejected(m, Rejected("invalid", r.error or ""))
        return held

    def _rejected(self, m: Received, r: Rejected) -> None:
        self.stats.reject(r.reason)
        self._limited.log(f"reject:{r.reason}", logging.WARNING,
                          "rejected a message on %s (%s): %s; acknowledged, not retried",
                          m.topic, r.reason, r.detail)

    def _wait_for_database(self, e: BaseException) -> bool:
        """Log, count and wait before the retry; False when stop() came meanwhile."""
        delay_s = self._backoff.next_delay_s()
        self.stats.count("db_errors")
        self.stats.database = "unavailable"
        self.stats.last_error = f"{type(e).__name__}: {e}"[:500]
        self._limited.log("db", logging.ERROR, "database unavailable (%s); nothing is "
                          "acknowledged, retrying the batch in %.1f s", self.stats.last_error,
                          delay_s)
        self.stats.count("db_retries")
        return not self._stopping.wait(delay_s)

    def _recovered(self) -> None:
        if self.stats.database != "ok":
            log.info("database reachable again; ingest resumes")
            self.stats.database = "ok"
        self._backoff.reset()

    def _record_batch(self, todo: list[_Held], t0: float) -> None:
        held = {id(h.m) for h in self._held}
        now = self._clock()
        lags = [now - ts for h in todo
                if id(h.m) not in held and (ts := _event_ts(h.event)) is not None]
        self.stats.batch((time.perf_counter() - t0) * 1000.0, lags)

    def _housekeeping(self) -> None:
        if time.monotonic() < self._next_prune_s:
            return
        self._next_prune_s = time.monotonic() + _PRUNE_EVERY_S
        try:
            n = self.store.prune_events_seen(self._clock()
                                             - self.cfg.keep_event_ids_days * 86400.0)
        except Exception as e:  # retried at the next round
            log.warning("could not prune old event ids: %s", e)
            return
        if n:
            log.info("forgot %d event id(s) older than %g days", n,
                     self.cfg.keep_event_ids_days)


def _event_ts(event: dict[str, Any]) -> float | None:
    t = event.get("time")
    try:
        return datetime.fromisoformat(t).timestamp() if isinstance(t, str) else None
    except ValueError:
        return None
