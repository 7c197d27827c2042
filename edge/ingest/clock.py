"""Stream timestamps → wall clock and a per-camera source time.

A camera's timestamps start anywhere and restart on every new RTSP session; the rules need
frame times that are monotonic and close to real time. The mapping is wall = pts + offset,
where offset follows the least-delayed frame seen (a frame can arrive late, never early: a
burst of buffered frames at connect time must not put the mapping in the future). A frame
that maps more than `resync_s` into the past (a stall, a camera clock reset) re-anchors it.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class StreamClock:
    def __init__(
        self,
        resync_s: float = 2.0,
        wall: Callable[[], float] = time.time,
        start_wall_s: float | None = None,
    ) -> None:
        self.resync_s = resync_s
        self._wall = wall
        self.start_wall_s = start_wall_s if start_wall_s is not None else wall()
        self._offset_s: float | None = None  # wall_s - pts_s
        self._last_wall_s = -float("inf")
        self.resyncs = 0

    def new_session(self) -> None:
        self._offset_s = None

    def map(self, pts_s: float | None) -> tuple[float, float]:
        """Returns (source_time_s, wall_time_s) for a frame with stream time `pts_s`."""
        now = self._wall()
        if pts_s is None:
            wall_s = now
        else:
            if self._offset_s is None:
                self._offset_s = now - pts_s
            wall_s = pts_s + self._offset_s
            if wall_s > now or wall_s < now - self.resync_s:
                self.resyncs += wall_s < now - self.resync_s
                self._offset_s = now - pts_s
                wall_s = now
        # Strictly increasing, so rules never see time go backwards.
        wall_s = max(wall_s, self._last_wall_s + 1e-6)
        self._last_wall_s = wall_s
        return wall_s - self.start_wall_s, wall_s
