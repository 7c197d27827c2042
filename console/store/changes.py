"""Change feed for live pages: after each committed write, one `Change` per violation, camera
or box it changed, to every `Subscription` of every process that shares the database.

    sub = store.subscribe()
    while (change := sub.get(timeout_s=15)) is not None or not sub.closed:
        ...  # change.kind, change.id, change.site_id (filter by the viewer's scope)

Delivery:
  - SQLite (one box, one process): the store hands its changes to the in-process hub right
    after the commit.
  - PostgreSQL (replicas): the writing transaction sends NOTIFY (pg_notify), which PostgreSQL
    delivers at commit, and only then, to every listening connection; each Store keeps one
    LISTEN connection (a thread, started on the first subscribe) that feeds its own hub. A
    replica's own writes come back the same way, so every process sees the same stream.
  - A change is a hint to re-read, never the data itself: consumers re-read the row by id
    with their own scope. When changes may have been lost (a subscription's queue overflowed,
    the LISTEN connection dropped), the subscriber gets Change(kind="resync") and should
    reload what it shows.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg

log = logging.getLogger(__name__)

CHANNEL = "sitewarden_changes"
RESYNC = "resync"


@dataclass(frozen=True)
class Change:
    kind: str  # violation | camera | box | resync
    id: str  # violation_id | "<site>/<box>/<camera>" | "<site>/<box>" | "" (resync)
    site_id: str | None

    def to_json(self) -> str:
        return json.dumps({"k": self.kind, "i": self.id, "s": self.site_id})

    @classmethod
    def from_json(cls, text: str) -> Change:
        d = json.loads(text)
        return cls(kind=str(d["k"]), id=str(d["i"]), site_id=d.get("s"))


RESYNC_CHANGE = Change(RESYNC, "", None)


class ChangeSet:
    """The changes of one transaction, each once, in first-seen order."""

    def __init__(self) -> None:
        self._items: dict[Change, None] = {}

    def add(self, kind: str, id_: str, site_id: str | None) -> None:
        self._items[Change(kind, id_, site_id)] = None

    def __iter__(self) -> Iterator[Change]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)


class Subscription:
    """A bounded queue of changes. When it is full the oldest changes are dropped and the
    next `get` returns a resync change first."""

    def __init__(self, hub: ChangeHub, max_queue: int) -> None:
        self._hub = hub
        self._queue: deque[Change] = deque()
        self._max = max_queue
        self._lost = False
        self._cond = threading.Condition()
        self.closed = False

    def _put(self, changes: Iterable[Change]) -> None:
        with self._cond:
            for c in changes:
                if len(self._queue) >= self._max:
                    self._queue.popleft()
                    self._lost = True
                self._queue.append(c)
            self._cond.notify_all()

    def get(self, timeout_s: float | None = None) -> Change | None:
        """The next change, or None after `timeout_s` (or once closed)."""
        with self._cond:
            if not self._queue and not self.closed:
                self._cond.wait(timeout_s)
            if self._lost:
                self._lost = False
                return RESYNC_CHANGE
            return self._queue.popleft() if self._queue else None

    def close(self) -> None:
        self._hub.unsubscribe(self)
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ChangeHub:
    """In-process fan-out to subscriptions (thread-safe)."""

    def __init__(self) -> None:
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self, max_queue: int = 1000) -> Subscription:
        sub = Subscription(self, max_queue)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def publish(self, changes: Iterable[Change]) -> None:
        items = list(changes)
        if not items:
            return
        with self._lock:
            subs = list(self._subs)
        for s in subs:
            s._put(items)

    def close_all(self) -> None:
        with self._lock:
            subs = list(self._subs)
        for s in subs:
            s.close()


class PgListener:
    """One LISTEN connection feeding a hub; reconnects (with a resync) when it drops."""

    def __init__(self, conninfo: str, hub: ChangeHub, channel: str = CHANNEL) -> None:
        self._conninfo = conninfo
        self._hub = hub
        self._channel = channel
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="store-listen", daemon=True)

    def start(self, timeout_s: float = 10.0) -> None:
        """Returns once LISTEN is active, so that no change committed afterwards is missed."""
        self._thread.start()
        if not self._ready.wait(timeout_s):
            log.warning("change listener not connected after %.0f s; retrying", timeout_s)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                self._listen(resync=not first)
            except psycopg.Error as e:
                log.warning("change listener connection lost (%s); reconnecting", e)
                self._stop.wait(1.0)
            first = False

    def _listen(self, resync: bool) -> None:
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            conn.execute(f'LISTEN "{self._channel}"')
            self._ready.set()
            if resync:  # changes made while we were away are unknown
                self._hub.publish([RESYNC_CHANGE])
            while not self._stop.is_set():
                # The timeout only bounds how long a stop request waits; each notification
                # is handed on as soon as it arrives.
                for n in conn.notifies(timeout=0.5):
                    change = _decode(n.payload)
                    if change is not None:
                        self._hub.publish([change])


def _decode(payload: str) -> Change | None:
    try:
        return Change.from_json(payload)
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring malformed change notification %r", payload[:200])
        return None


def notify_sql(changes: Iterable[Change], channel: str = CHANNEL) -> list[dict[str, Any]]:
    """Parameters for `SELECT pg_notify(:channel, :payload)`, one per change."""
    return [{"channel": channel, "payload": c.to_json()} for c in changes]
