"""Motion gating: skip detection on frames where nothing moved since the last detection.

Compares a small grey copy of the frame with the one of the last frame that went through the
detector (not with the previous frame, so that slow movement adds up). A still person at a
duty post is still seen because detection runs at least every `refresh_s`. A skipped frame
reuses the last detections: nothing moved, so the people are where they were.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

GreyImage = npt.NDArray[np.uint8]
MOTION_WIDTH_PX = 160


@dataclass
class MotionCounters:
    frames: int = 0
    skipped: int = 0
    refreshes: int = 0


class MotionGate:
    def __init__(
        self,
        enabled: bool,
        refresh_s: float = 2.0,
        min_changed_frac: float = 0.002,
        pixel_threshold: int = 20,
    ) -> None:
        self.enabled = enabled
        self.refresh_s = refresh_s
        self.min_changed_frac = min_changed_frac
        self.pixel_threshold = pixel_threshold
        self._ref: GreyImage | None = None
        self._refresh_at_s = -float("inf")
        self._rng = random.Random()
        self.counters = MotionCounters()
        self.last_changed_frac = 0.0

    def should_detect(self, grey: GreyImage, t_s: float) -> bool:
        """`grey`: the frame's small grey copy; call detected() when detection did run."""
        self.counters.frames += 1
        if not self.enabled:
            return True
        small = _prepare(grey)
        if self._ref is None or self._ref.shape != small.shape:
            return True
        if t_s >= self._refresh_at_s:
            self.counters.refreshes += 1
            return True
        diff = cv2.absdiff(small, self._ref)
        self.last_changed_frac = float(np.count_nonzero(diff > self.pixel_threshold)) / diff.size
        if self.last_changed_frac >= self.min_changed_frac:
            return True
        self.counters.skipped += 1
        return False

    def detected(self, grey: GreyImage, t_s: float) -> None:
        if self.enabled:
            self._ref = _prepare(grey)
            # Refresh a little early, by a random amount: cameras that started together do
            # not all refresh at the same instant (bursts on the shared detector).
            self._refresh_at_s = t_s + self.refresh_s * self._rng.uniform(0.8, 1.0)

    def reset(self) -> None:
        self._ref = None
        self._refresh_at_s = -float("inf")


def _prepare(grey: GreyImage) -> GreyImage:
    h, w = grey.shape[:2]
    small: npt.NDArray[np.uint8] = grey
    if w > MOTION_WIDTH_PX:
        size = (MOTION_WIDTH_PX, max(2, round(h * MOTION_WIDTH_PX / w)))
        small = np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    # Blur away sensor noise and compression flicker, which are not motion.
    return np.asarray(cv2.GaussianBlur(small, (5, 5), 0), dtype=np.uint8)
