"""Stream timestamps → wall clock and a per-camera source time.

A camera's timestamps start anywhere and restart on every new RTSP session; the rules need
frame times that are monotonic and close to real time. The first frame of a session anchors
the mapping; a jump (a new session, a camera clock reset, a stalled then bursting stream)
larger than `resync_s` re-anchors it.
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
        self._anchor: tuple[float, float] | None = None  # (pts_s, wall_s)
        self._last_wall_s = -float("inf")
        self.resyncs = 0

    def new_session(self) -> None:
        self._anchor = None

    def map(self, pts_s: float | None) -> tuple[float, float]:
        """Returns (source_time_s, wall_time_s) for a frame with stream time `pts_s`."""
        now = self._wall()
        if pts_s is None:
            wall_s = now
        else:
            if self._anchor is None:
                self._anchor = (pts_s, now)
            wall_s = self._anchor[1] + (pts_s - self._anchor[0])
            if abs(wall_s - now) > self.resync_s:
                self.resyncs += 1
                self._anchor = (pts_s, now)
                wall_s = now
        # Strictly increasing, so rules never see time go backwards.
        wall_s = max(wall_s, self._last_wall_s + 1e-6)
        self._last_wall_s = wall_s
        return wall_s - self.start_wall_s, wall_s
