"""Finds readers stuck inside FFmpeg: connected, bytes arriving, but no packet for Python.

Reads are bounded by FFmpeg's socket timeout, which is an idle timer: an RTSP session
whose video stopped while RTCP reports still arrive (a hung encoder behind a live RTSP
stack) keeps the socket busy, and FFmpeg's RTSP demuxer loops over those reports in C
without returning. PyAV's read timeout would catch that, but it takes the GIL on every
FFmpeg I/O check (see reader.py). So one thread looks at every reader twice a second and
tells a reader with no packet for longer than its read timeout (plus a margin) to leave
that session behind and start a new one (StreamReader.check_stalled).
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

    def add(self, reader: Stallable) -> None:
        with self._lock:
            self._readers.add(reader)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="stall-monitor",
                                                daemon=True)
                self._thread.start()

    def discard(self, reader: Stallable) -> None:
        with self._lock:
            self._readers.discard(reader)

    def _loop(self) -> None:
        while True:
            time.sleep(self.period_s)
            with self._lock:
                readers = list(self._readers)
            now = time.monotonic()
            for r in readers:
                try:
                    r.check_stalled(now)
                except Exception:  # one broken reader must not stop the others' checks
                    log.exception("stall check failed")


MONITOR = StallMonitor()
