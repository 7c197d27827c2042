"""Pick the frames to analyse at `analysis_fps` by their timestamps, not by arrival."""

from __future__ import annotations


class FrameSampler:
    def __init__(self, analysis_fps: float) -> None:
        if analysis_fps <= 0:
            raise ValueError("analysis_fps must be > 0")
        self.period_s = 1.0 / analysis_fps
        # Tolerance so that a 10 fps stream sampled at 5 fps takes every second frame even
        # when timestamps are a little early.
        self._tol_s = self.period_s * 0.25
        self._next_s: float | None = None

    def due(self, t_s: float) -> bool:
        if self._next_s is None or t_s + self._tol_s >= self._next_s:
            nxt = (self._next_s or t_s) + self.period_s
            # After a gap, do not try to catch up with a burst.
            self._next_s = nxt if nxt > t_s else t_s + self.period_s
            return True
        if t_s + 10 * self.period_s < self._next_s - self.period_s:
            # Time went backwards (a new session): start again from here.
            self._next_s = t_s + self.period_s
            return True
        return False

    def reset(self) -> None:
        self._next_s = None
