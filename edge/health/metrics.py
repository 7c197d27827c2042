"""Cheap picture statistics on a small grey copy of a frame (computed once, used by tamper
detection and motion gating)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

GreyImage = npt.NDArray[np.uint8]
ANALYSIS_WIDTH_PX = 320


def small_grey(image_bgr: npt.NDArray[np.uint8], width_px: int = ANALYSIS_WIDTH_PX) -> GreyImage:
    h, w = image_bgr.shape[:2]
    height_px = max(2, round(h * width_px / w))
    # Grey first: the resize then touches one channel instead of three.
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY) if image_bgr.ndim == 3 else image_bgr
    # Area averaging only pays where it matters (shrinking 2x or more, where bilinear would
    # alias); below that its general path costs 4x bilinear for the same picture.
    interp = cv2.INTER_AREA if w >= 2 * width_px else cv2.INTER_LINEAR
    return np.asarray(cv2.resize(grey, (width_px, height_px), interpolation=interp),
                      dtype=np.uint8)


@dataclass(frozen=True)
class FrameMetrics:
    mean: float  # 0..255
    std: float
    dark_frac: float  # pixels below 25
    bright_frac: float  # pixels above 245
    sharpness: float  # variance of the Laplacian
    edge_frac: float  # Canny edge pixels / all pixels


def measure(grey: GreyImage) -> FrameMetrics:
    n = float(grey.size)
    edges = cv2.Canny(grey, 50, 150)
    # cv2.meanStdDev: one C pass each, where numpy's mean/std/var make several.
    mean, std = cv2.meanStdDev(grey)
    _, lap_std = cv2.meanStdDev(cv2.Laplacian(grey, cv2.CV_64F))
    return FrameMetrics(
        mean=float(mean[0, 0]),
        std=float(std[0, 0]),
        dark_frac=float(np.count_nonzero(grey < 25)) / n,
        bright_frac=float(np.count_nonzero(grey > 245)) / n,
        sharpness=float(lap_std[0, 0]) ** 2,
        edge_frac=float(np.count_nonzero(edges)) / n,
    )


def edge_map(grey: GreyImage) -> npt.NDArray[np.bool_]:
    blurred = cv2.GaussianBlur(grey, (3, 3), 0)
    return np.asarray(cv2.Canny(blurred, 50, 150) > 0)


def edge_agreement(ref_edges: npt.NDArray[np.bool_], cur_edges: npt.NDArray[np.bool_]) -> float:
    """Fraction of the reference's edges found (within 2 px) in the current picture.

    People walking through change a small share of a scene's edges; a camera pointed
    elsewhere keeps almost none of them.
    """
    total = int(ref_edges.sum())
    if total == 0:
        return 1.0
    near = cv2.dilate(cur_edges.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    return float(np.count_nonzero(ref_edges & near)) / total


def shift_px(ref: GreyImage, cur: GreyImage) -> tuple[float, float]:
    """Global translation between two pictures (phase correlation): (dx, dy) and response."""
    a = ref.astype(np.float32)
    b = cur.astype(np.float32)
    (dx, dy), response = cv2.phaseCorrelate(a, b, _hanning(a.shape[1], a.shape[0]))
    return float(np.hypot(dx, dy)), float(response)


@functools.lru_cache(maxsize=8)
def _hanning(width_px: int, height_px: int) -> npt.NDArray[np.float32]:
    return np.asarray(cv2.createHanningWindow((width_px, height_px), cv2.CV_32F), np.float32)
