"""The box's own store: every event it emits, for its console (inbox, review, statistics).

Written whether or not MQTT is configured or up, on the dispatcher thread, as the last sink
(after the publisher numbered the event). The store lives at <storage.directory>/console.db.
A full or broken disk never costs detection or delivery: events that cannot be written are
held in memory (bounded; the oldest go first, counted: they still went to the broker) and
written when the store works again; the part `local_store` is degraded meanwhile, and ok
again once it has written without a failure for `ok_after_s`: on a full disk the evidence
sweep frees a few kilobytes now and then, a write gets through and the next one fails, and
operators should see one episode, not a flapping state. A store that cannot even be opened
at start is opened again by the 1 Hz housekeeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from console.store import Store
from publisher.events import Event

log = logging.getLogger(__name__)

Report = Callable[[str, str, dict[str, Any]], None]
STORE_NAME = "console.db"


def store_path(storage_directory: str | Path) -> Path:
    return Path(storage_directory) / STORE_NAME


class LocalStore:
    def __init__(self, path: Path, report: Report, max_held: int = 10_000, *,
                 ok_after_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._report = report
        self.max_held = max_held
        self.ok_after_s = ok_after_s
        self._clock = clock
        self._last_failure_s: float | None = None  # set while degraded
        self._failures = 0
        self._last_detail: dict[str, Any] = {}
        self.store: Store | None = None
        self._held: OrderedDict[str, Event] = OrderedDict()
        self._lock = threading.Lock()
        self.dropped = 0
        self.open()

    def open(self) -> bool:
        if self.store is not None:
            return True
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.store = Store.open(f"sqlite:///{self.path}")
        except Exception as e:  # a full disk, a broken file: the box runs on without it
            self._degraded("cannot open", e)
            return False
        return True

    def __call__(self, event: Event) -> None:
        """A dispatcher sink: write the event, or hold it."""
        with self._lock:
            if self._held or self.store is None:
                self._hold(event)
                return
        try:
            self.store.ingest(event)
        except Exception as e:
            with self._lock:
                self._hold(event)
            self._degraded("cannot write", e)

    def retry(self) -> None:
        """From the housekeeping: open the store if need be, write what is held."""
        if not self.open():
            return
        with self._lock:
            held = list(self._held.values())
        if held:
            assert self.store is not None
            try:
                self.store.ingest_many(held)
            except Exception as e:
                self._degraded("cannot write", e)
                return
            with self._lock:
                for ev in held:
                    self._held.pop(ev.id, None)
        self._maybe_ok()

    def _maybe_ok(self) -> None:
        with self._lock:
            last = self._last_failure_s
            if last is None or self._held or self._clock() - last < self.ok_after_s:
                return
            self._last_failure_s = None
            failures = self._failures
        self._report("local_store", "ok", {"affected": []})
        with self._lock:
            raced = self._failures != failures
            detail = dict(self._last_detail, held_in_memory=len(self._held))
        if raced:
            # A write failed while "ok" went out, and its "degraded" was taken for a repeat:
            # say it again, so the state ends where the store is.
            self._report("local_store", "degraded", detail)

    def _hold(self, event: Event) -> None:
        self._held[event.id] = event
        while len(self._held) > self.max_held:
            self._held.popitem(last=False)
            self.dropped += 1

    def _degraded(self, what: str, e: BaseException) -> None:
        reason = "disk_full" if "full" in str(e).lower() else "store_error"
        log.warning("local store %s: %s (%s)", self.path, what, e)
        with self._lock:
            self._last_failure_s = self._clock()
            self._failures += 1
            self._last_detail = {"reason": reason, "message": f"{what}: {e}"[:300],
                                 "affected": ["local_store"]}
            detail = dict(self._last_detail, held_in_memory=len(self._held))
        self._report("local_store", "degraded", detail)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"open": self.store is not None, "held_in_memory": len(self._held),
                    "dropped": self.dropped}

    def close(self) -> None:
        self.retry()
        if self.store is not None:
            self.store.close()
