"""Pick the frames to analyse at `analysis_fps` by their timestamps, not by arrival.

Frames are taken on a grid of the frame times (wall clock, mapped from stream time):
k * period + phase. Cameras get different phases (the runtime spreads them over the period),
so that they do not all ask for inference at the same instant: the load on the shared
detector is smooth instead of bursts of one frame per camera every period.
"""

from __future__ import annotations

import math


class FrameSampler:
    def __init__(self, analysis_fps: float, phase_frac: float = 0.0) -> None:
        if analysis_fps <= 0:
            raise ValueError("analysis_fps must be > 0")
        self.period_s = 1.0 / analysis_fps
        self.phase_s = (phase_frac % 1.0) * self.period_s
        # Tolerance so that a 10 fps stream sampled at 5 fps takes every second frame even
        # when timestamps are a little early (rounding, 29.97 fps streams).
        self._tol_s = min(self.period_s * 0.25, 0.01)
        self._next_s: float | None = None
        self.missed = 0  # grid slots passed while the consumer was still busy

    def _grid_after(self, t_s: float) -> float:
        k = math.floor((t_s - self.phase_s) / self.period_s) + 1
        return k * self.period_s + self.phase_s

    def due(self, t_s: float) -> bool:
        nxt = self._next_s
        if nxt is None:
            # The first frame is taken; later ones on the grid.
            self._next_s = self._grid_after(t_s + self._tol_s)
            return True
        if t_s + self._tol_s >= nxt or t_s < nxt - 10 * self.period_s:
            # On time, late (never a catch-up burst), or time went backwards (new session).
            self._next_s = self._grid_after(t_s + self._tol_s)
            return True
        return False

    def poll(self, t_s: float, consumer_ready: bool) -> bool:
        """Like due(), for a consumer that may still be busy with the previous frame.

        A due frame is only taken when the consumer is ready; until then the next decoded
        frames are offered (a late sample, not a lost one). Only when a whole period passes
        without the consumer getting ready is that slot counted in `missed` (a drop).
        """
        nxt = self._next_s
        if consumer_ready or nxt is None:
            return self.due(t_s)
        if t_s + self._tol_s >= nxt + self.period_s:
            self.missed += int((t_s + self._tol_s - nxt) // self.period_s)
            self._next_s = self._grid_after(t_s + self._tol_s) - self.period_s
        return False

    def reset(self) -> None:
        self._next_s = None
