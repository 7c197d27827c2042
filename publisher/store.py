"""Where events wait for their PUBACK: the durable outbox, or memory while it cannot write.

The box numbers its events here (the CloudEvents `sequence` extension) and places each one:

- in the outbox (SQLite, durable on return), which also persists the number in the same
  transaction, so the numbering survives a restart or kill -9;
- in the bounded `MemoryQueue` while the outbox cannot store rows (full disk, I/O error) or
  could not even be opened, and also while older events are still held there, so that the
  outbox only ever holds events older than every held one. The publisher relies on that:
  it sends outbox rows first, then held events, which is emission order.

Outbox states: OK; FAILING (open, a write failed); CLOSED (could not be opened). While not OK
the I/O thread calls `tend()`, which every `outbox.retry_s` tries to open the outbox and to
write the sequence number (a small real write, and it keeps the numbers given out from
memory from being reused after a restart). Once that works, `tend()` moves the held events
into the outbox, oldest first, in batches.

Health: `degraded` is reported once when the outbox leaves OK, `ok` once when it is OK again
and nothing is held in memory. Acknowledged rows whose delete failed are remembered and the
delete is retried with a backoff; they are never sent again meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Any

from publisher import status
from publisher.backoff import Backoff
from publisher.events import Event
from publisher.memqueue import Eviction, MemoryQueue
from publisher.outbox import (
    Evictable,
    Message,
    Outbox,
    OutboxError,
    OutboxLockedError,
    OutboxRow,
    Usage,
)
from publisher.ratelog import RateLimitedLog
from publisher.settings import OutboxConfig

log = logging.getLogger(__name__)

Health = tuple[str, dict[str, Any]]

# Held events go into the outbox in batches of this many rows (one transaction each; a batch
# of ~1 KB events stays well below the WAL checkpoint size) and at most this many batches per
# turn of the I/O loop, so a large backlog does not stall the network side for long.
_MOVE_BATCH = 200
_MOVE_BATCHES_PER_TURN = 5


class OutboxState(StrEnum):
    OK = "ok"
    FAILING = "failing"
    CLOSED = "closed"


class EventStore:
    """Numbering and placement are serialised by one lock; the I/O thread owns the acks."""

    def __init__(self, path: Path, cfg: OutboxConfig) -> None:
        self.path = Path(path)
        self.cfg = cfg
        self.held = MemoryQueue(cfg.memory_max_events)
        self.outbox: Outbox | None = None
        self.state = OutboxState.CLOSED
        self.error: OutboxError | None = None
        self.n = dict.fromkeys(("outbox_failures", "moved_to_outbox", "delete_failures"), 0)
        self._reported = "ok"
        self._episode = False  # a failure was logged and `ok` not reported since
        self._lock = threading.Lock()
        self._retry_at_s = 0.0
        self._sequence = 0
        self._acked: list[int] = []
        self._acked_set: set[int] = set()
        self._ack_lock = threading.Lock()
        self._delete_backoff = Backoff(0.2, max(0.2, cfg.retry_s))
        self._delete_retry_at_s = 0.0
        self._limited = RateLimitedLog(log)
        self._closed = False
        if self._open():
            assert self.outbox is not None
            self._sequence = self.outbox.last_sequence

    # ------------------------------------------------------------ callers (any thread)

    def add_event(self, event: Event, topic: str) -> Event:
        """Number `event` and store it (or hold it); returns it numbered."""
        v = event.violation
        with self._lock:
            if self._closed:  # a caller's bug, said as before (memory would lose it silently)
                raise OutboxError(f"outbox {self.path} is closed: the publisher was stopped")
            n = self._sequence + 1
            numbered = event.with_sequence(n)
            m = Message(
                topic, status.encode(numbered.to_wire()), event_id=event.id,
                violation_id=v.violation_id if v is not None else None,
                phase=v.phase if v is not None else None,
                cls=Evictable.UPDATE if v is not None and v.phase == "updated"
                else Evictable.PROTECTED,
                sequence=n, created_s=time.time())
            evicted = [] if self._store_now(m) else self.held.push(m)
            self._sequence = n
        for gone, why in evicted:
            self._log_eviction(gone, why)
        return numbered

    def add_snapshot(self, topic: str, jpeg: bytes, violation_id: str) -> bool:
        """Store a snapshot; False when the outbox cannot take it (never held in memory:
        snapshots are optional and the first thing given up)."""
        with self._lock:
            return self._store_now(Message(topic, jpeg, violation_id=violation_id,
                                           cls=Evictable.SNAPSHOT))

    def is_pending(self, violation_id: str) -> bool:
        if self.held.is_pending(violation_id):
            return True
        outbox = self.outbox
        if outbox is None:
            return False
        try:
            return outbox.is_pending(violation_id)
        except OutboxError:
            return True  # cannot tell: keep the evidence rather than lose it

    def undelivered(self) -> int:
        """Events and snapshots not yet acknowledged by the broker."""
        with self._ack_lock:
            outbox = self.outbox
            depth = outbox.usage().depth if outbox is not None else 0
            return max(0, depth - len(self._acked_set)) + len(self.held)

    def usage(self) -> Usage:
        outbox = self.outbox
        return outbox.usage() if outbox is not None else Usage(0, 0, 0, 0, False)

    @property
    def sequence(self) -> int:
        """The last sequence number given out."""
        return self._sequence

    # ------------------------------------------------------------ I/O thread

    def rows_after(self, after: int, limit: int) -> list[OutboxRow]:
        """Outbox rows after `after`, including acknowledged ones still to delete (the caller
        skips those with `is_acked`); a few extra so such rows do not starve the window."""
        outbox = self.outbox
        if outbox is None:
            return []
        return outbox.pending_after(after, min(limit + len(self._acked_set), limit + 512))

    def is_acked(self, row: int) -> bool:
        return row in self._acked_set

    def acked(self, row: int) -> None:
        with self._ack_lock:
            self._acked.append(row)
            self._acked_set.add(row)

    def delete_acked(self, now_s: float, *, force: bool = False) -> bool:
        """Delete acknowledged rows; on failure keep them and retry later. True if deleted."""
        outbox = self.outbox
        if not self._acked or outbox is None or (now_s < self._delete_retry_at_s and not force):
            return False
        with self._ack_lock:
            try:
                outbox.delete(self._acked)
            except OutboxError as e:
                self.n["delete_failures"] += 1
                delay_s = self._delete_backoff.next_delay_s()
                self._delete_retry_at_s = now_s + delay_s
                # Logged once per episode: a full disk fails every attempt.
                level = logging.WARNING if self._delete_backoff.attempts == 1 else logging.DEBUG
                log.log(level, "%s; %d acknowledged row(s) kept (not sent again), retrying in "
                        "%.1f s", e, len(self._acked), delay_s)
                return False
            gone = len(self._acked)
            self._acked, self._acked_set = [], set()
        if self._delete_backoff.attempts:
            log.info("deleted %d acknowledged row(s) after %d failed attempt(s)",
                     gone, self._delete_backoff.attempts)
            self._delete_backoff.reset()
            self._delete_retry_at_s = 0.0
        return True

    def tend(self, now_s: float, *, force: bool = False) -> list[tuple[int, int]]:
        """Probe a failing outbox when due, then move held events into it, oldest first.
        Returns (event sequence, outbox row) of each moved event. `force`: probe now and
        move everything (at shutdown)."""
        with self._lock:
            if self.state != OutboxState.OK and (
                    (now_s < self._retry_at_s and not force) or not self._probe()):
                return []
        return self._move_held(None if force else _MOVE_BATCHES_PER_TURN)

    def next_due_s(self) -> float:
        """When `tend` or `delete_acked` next has work (monotonic s; inf: nothing to do)."""
        due = float("inf")
        if self.state != OutboxState.OK:
            due = self._retry_at_s
        elif len(self.held):
            due = 0.0
        if self._acked:
            due = min(due, self._delete_retry_at_s)
        return due

    def health_change(self) -> Health | None:
        """The health report to make now, if the state changed since the last one."""
        with self._lock:
            held = len(self.held)
            if self.state != OutboxState.OK:
                want = "degraded"
            elif held == 0:
                want = "ok"
            else:
                return None  # writable again, held events still moving in: not ok yet
            if want == self._reported:
                return None
            self._reported = want
            self._episode = want == "degraded"
            return want, self._health_detail(want, held)

    @property
    def health(self) -> str:
        return self._reported

    def stats(self) -> dict[str, Any]:
        error, held = self.error, self.held
        return {
            "health": self._reported, "outbox_state": self.state.value,
            "outbox_error": str(error) if error is not None else None,
            "held_in_memory": len(held), "memory_max_events": held.max_events,
            "memory_merged": held.merged, "memory_dropped": held.dropped,
            "memory_dropped_protected": held.dropped_protected,
            "acked_not_deleted": len(self._acked_set), "sequence": self._sequence, **self.n,
        }

    def shutdown(self) -> None:
        """At stop (I/O thread, link closed): last deletes, and held events into the outbox
        if it can take them now; what is still held is lost with the process, and said so."""
        now = time.monotonic()
        self.delete_acked(now, force=True)
        self.tend(now, force=True)
        if len(self.held):
            log.error("%d event(s) held in memory were neither delivered nor stored (outbox: "
                      "%s) and are lost with this stop", len(self.held), self.error)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            outbox = self.outbox
        if outbox is not None:
            outbox.close()

    # ------------------------------------------------------------ internals (under _lock)

    def _store_now(self, m: Message) -> bool:
        # Straight to the outbox only when it works and nothing older waits in memory.
        if self.state != OutboxState.OK or len(self.held):
            return False
        return self._put([m]) is not None

    def _put(self, messages: list[Message]) -> list[int] | None:
        assert self.outbox is not None
        try:
            return self.outbox.put_many(messages)
        except OutboxError as e:
            self._failed(e)
            return None

    def _open(self) -> bool:
        try:
            self.outbox = Outbox(self.path, self.cfg.max_bytes, self.cfg.high_water_frac)
        except OutboxError as e:
            if isinstance(e, OutboxLockedError):
                raise  # a second publisher on the same outbox: a set-up error, not retried
            self._failed(e)
            return False
        self.state = OutboxState.OK
        return True

    def _probe(self) -> bool:
        if self.outbox is None and not self._open():
            return False
        assert self.outbox is not None
        # An outbox that could not be read at start may hold higher numbers: never reuse them.
        self._sequence = max(self._sequence, self.outbox.last_sequence)
        try:
            self.outbox.save_sequence(self._sequence)
        except OutboxError as e:
            self._failed(e)
            return False
        self.state, self.error = OutboxState.OK, None
        self._limited.log("probe", logging.INFO, "outbox %s can write again (%d held event(s) "
                          "to move into it)", self.path, len(self.held))
        return True

    def _failed(self, e: OutboxError) -> None:
        # One ERROR per episode: a probe can succeed and the next move fail again and again.
        first, self._episode = not self._episode, True
        self.n["outbox_failures"] += 1
        self.state = OutboxState.FAILING if self.outbox is not None else OutboxState.CLOSED
        self.error = e
        self._retry_at_s = time.monotonic() + self.cfg.retry_s
        if first:
            log.error("%s; events are held in memory (at most %d) and sent from there; "
                      "retrying the outbox every %g s", e, self.held.max_events,
                      self.cfg.retry_s)
        else:
            log.debug("outbox still failing: %s", e)

    def _move_held(self, max_batches: int | None) -> list[tuple[int, int]]:
        moved: list[tuple[int, int]] = []
        turns = 0
        while max_batches is None or turns < max_batches:
            turns += 1
            with self._lock:
                if self.state != OutboxState.OK:
                    break
                batch = self.held.oldest(_MOVE_BATCH)
                rows = self._put(batch) if batch else None
                if rows is None:
                    break
                for m in batch:
                    self.held.remove(m.sequence or 0)
                self.n["moved_to_outbox"] += len(batch)
            moved += [(m.sequence or 0, r) for m, r in zip(batch, rows, strict=True)]
        return moved

    def _log_eviction(self, m: Message, why: Eviction) -> None:
        level = {Eviction.MERGED: logging.INFO, Eviction.DROPPED: logging.WARNING,
                 Eviction.DROPPED_PROTECTED: logging.ERROR}[why]
        h = self.held
        self._limited.log(f"evict:{why}", level, "memory queue full (%d events held while the "
                          "outbox cannot write): event %s (%s) %s; so far merged %d, dropped %d "
                          "updates and %d other events", h.max_events, m.event_id,
                          m.phase or "-", why.value, h.merged, h.dropped, h.dropped_protected)

    def _health_detail(self, state: str, held: int) -> dict[str, Any]:
        detail: dict[str, Any] = {"affected": ["outbox"], "held_in_memory": held}
        if state == "degraded":
            e = self.error
            detail["reason"] = "disk_full" if e is not None and e.disk_full else "outbox_error"
            detail["message"] = str(e) if e is not None else None
        return detail
