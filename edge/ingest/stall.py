"""Finds readers stuck inside FFmpeg: connected, bytes arriving, but no packet for Python.

Reads are bounded by FFmpeg's socket timeout, which is an idle timer: an RTSP session
whose video stopped while RTCP reports still arrive (a hung encoder behind a live RTSP
stack) keeps the socket busy, and FFmpeg's RTSP demuxer loops over those reports in C
without returning. PyAV's read timeout would catch that, but it takes the GIL on every
FFmpeg I/O check (see reader.py). So one thread looks at every reader twice a second and
tells a reader with no packet for longer than its read timeout (plus a margin) to leave
that session behind and start a new one (StreamReader.check_stalled).

The thread runs while readers are registered: it ends when the last one is discarded (or
on stop()), and add() starts it again.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Protocol

log = logging.getLogger(__name__)

CHECK_PERIOD_S = 0.5


class Stallable(Protocol):
    def check_stalled(self, now_mono_s: float) -> bool: ...


class StallMonitor:
    def __init__(self, period_s: float = CHECK_PERIOD_S) -> None:
        self.period_s = period_s
        self._readers: weakref.WeakSet[Stallable] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def add(self, reader: Stallable) -> None:
        with self._lock:
            self._readers.add(reader)
            # A loop told to stop may still be sleeping: it ends on its own event; a new
            # loop with a fresh event takes over.
            if self._thread is None or not self._thread.is_alive() or self._stop.is_set():
                self._stop = threading.Event()
                self._thread = threading.Thread(target=self._loop, args=(self._stop,),
                                                name="stall-monitor", daemon=True)
                self._thread.start()

    def discard(self, reader: Stallable) -> None:
        with self._lock:
            self._readers.discard(reader)
            if not self._readers:
                self._stop.set()

    def stop(self, timeout_s: float = 2.0) -> None:
        with self._lock:
            self._stop.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(self.period_s):
            with self._lock:
                readers = list(self._readers)
            now = time.monotonic()
            for r in readers:
                try:
                    r.check_stalled(now)
                except Exception:  # one broken reader must not stop the others' checks
                    log.exception("stall check failed")


MONITOR = StallMonitor()
