"""The one-frame slot between a camera's ingest and analysis."""

from __future__ import annotations

import threading
from collections.abc import Callable

from edge.core.frames import Frame


class LatestFrameSlot:
    """Holds only the newest frame: a put() over an untaken frame replaces it (a counted drop).

    Analysis therefore never works through a backlog; a slow consumer sees fewer, fresher
    frames instead of older ones.
    """

    def __init__(self, on_put: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._on_put = on_put
        self.puts = 0
        self.drops = 0

    def put(self, frame: Frame) -> None:
        with self._lock:
            if self._frame is not None:
                self.drops += 1
            self._frame = frame
            self.puts += 1
        if self._on_put is not None:
            self._on_put()

    def take(self) -> Frame | None:
        with self._lock:
            frame, self._frame = self._frame, None
            return frame

    def peek_received_mono_s(self) -> float | None:
        with self._lock:
            return self._frame.received_mono_s if self._frame is not None else None

    def set_listener(self, on_put: Callable[[], None] | None) -> None:
        self._on_put = on_put
