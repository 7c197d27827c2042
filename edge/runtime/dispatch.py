"""The box's event dispatcher: every camera's events leave through one thread.

Cameras (analysis workers, the 1 Hz health tick, a config reload) only queue an event and
go on; the dispatcher thread hands each one, in order, to the sinks that may wait on the
disk or the network (the MQTT outbox's fsync, the local store, an --events-out file). So a
slow disk delays delivery, never analysis or a camera's health. The queue is bounded: when
it is full, submit() waits (counted), because an event must never be dropped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable

from publisher.events import Event

log = logging.getLogger(__name__)

Sink = Callable[[Event], object]
"""A sink that returns an Event hands that one on (the publisher numbers events)."""
_STOP = object()


class EventDispatcher:
    def __init__(self, sinks: list[Sink] | None = None, max_queued: int = 10_000,
                 recent: int = 500) -> None:
        self._sinks: list[Sink] = list(sinks or [])
        self._queue: queue.Queue[Event | object] = queue.Queue(maxsize=max_queued)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._unfinished = 0
        self.recent: deque[Event] = deque(maxlen=recent)
        self.submitted = 0
        self.dispatched = 0
        self.full_waits = 0  # submits that found the queue full and waited
        self.sink_errors = 0

    def add_sink(self, sink: Sink) -> None:
        with self._lock:
            self._sinks = [*self._sinks, sink]

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="event-dispatch", daemon=True)
            self._thread.start()

    def submit(self, event: Event) -> None:
        with self._lock:
            self._unfinished += 1
            self.submitted += 1
            self.recent.append(event)
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            with self._lock:
                self.full_waits += 1
            log.warning("event queue full (%d): waiting for the sinks", self._queue.maxsize)
            self._queue.put(event)

    def run(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            assert isinstance(item, Event)
            self._dispatch(item)

    def _dispatch(self, event: Event) -> None:
        with self._lock:
            sinks = self._sinks
        for sink in sinks:
            try:
                out = sink(event)
                if isinstance(out, Event):
                    event = out
            except Exception:
                with self._lock:
                    self.sink_errors += 1
                log.exception("event %s: a sink failed", event.id)
        with self._lock:
            self.dispatched += 1
            self._unfinished -= 1
            if self._unfinished == 0:
                self._idle.notify_all()

    def drain(self, timeout_s: float) -> bool:
        """Wait until every submitted event went through the sinks; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._unfinished > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def stop(self, timeout_s: float = 5.0) -> None:
        """Dispatch what is queued (bounded by timeout_s), then end the thread."""
        if self._thread is None:
            return
        self.drain(timeout_s)
        self._queue.put(_STOP)
        self._thread.join(timeout_s)
        self._thread = None

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"queued": self._unfinished, "submitted": self.submitted,
                    "dispatched": self.dispatched, "full_waits": self.full_waits,
                    "sink_errors": self.sink_errors}
