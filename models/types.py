"""Detector output for one image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Detections:
    """Persons found in one image; boxes in source-image pixels, [x1, y1, x2, y2]."""

    boxes_xyxy_px: npt.NDArray[np.float32]  # (N, 4)
    scores: npt.NDArray[np.float32]  # (N,)

    @staticmethod
    def empty() -> Detections:
        return Detections(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32))

    def __len__(self) -> int:
        return int(self.scores.shape[0])
