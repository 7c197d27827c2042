"""Exact area of (simple polygon ∩ axis-aligned box), vectorised over many pairs.

Green's theorem: area(D) = ∮ x dy along the positively oriented boundary of D. The boundary
of P ∩ R is made of P's edges clipped to R (Liang–Barsky) and the parts of R's edges that
lie inside P. Horizontal edges add nothing to ∮ x dy, so only R's left and right sides are
needed: their length inside P is the integral of P's winding number along that vertical
line. One pass of numpy over (pairs, edges), no shapely call: about 10x cheaper than
`shapely.intersection` for small polygons. Checked against shapely in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


class PolygonEdges:
    """Edges of several polygons, padded to a common count with zero-length edges."""

    def __init__(self, polygons: Sequence[Sequence[tuple[float, float]]]) -> None:
        n_edges = max((len(p) for p in polygons), default=0)
        shape = (len(polygons), n_edges)
        self.ax, self.ay = np.zeros(shape), np.zeros(shape)
        self.bx, self.by = np.zeros(shape), np.zeros(shape)
        self.orientation = np.ones(len(polygons))
        for i, pts in enumerate(polygons):
            a = np.asarray(pts, dtype=np.float64)
            b = np.roll(a, -1, axis=0)
            k = len(a)
            self.ax[i, :k], self.ay[i, :k] = a[:, 0], a[:, 1]
            self.bx[i, :k], self.by[i, :k] = b[:, 0], b[:, 1]
            # Padding edges are the point (a0, a0): zero length, never crossing anything.
            self.ax[i, k:], self.ay[i, k:] = a[0, 0], a[0, 1]
            self.bx[i, k:], self.by[i, k:] = a[0, 0], a[0, 1]
            signed = float(np.sum(a[:, 0] * b[:, 1] - b[:, 0] * a[:, 1]))
            self.orientation[i] = 1.0 if signed >= 0 else -1.0

    def intersection_area(self, poly_idx: NDArray[np.intp], boxes: FloatArray) -> FloatArray:
        """Area of polygon `poly_idx[k]` ∩ box `boxes[k]` (xyxy) for every k."""
        ax, ay = self.ax[poly_idx], self.ay[poly_idx]
        bx, by = self.bx[poly_idx], self.by[poly_idx]
        x1, y1 = boxes[:, 0:1], boxes[:, 1:2]
        x2, y2 = boxes[:, 2:3], boxes[:, 3:4]
        inner = _clipped_edges_integral(ax, ay, bx, by, x1, y1, x2, y2)
        inner *= self.orientation[poly_idx]
        left = _length_inside(ax, ay, bx, by, x1, y1, y2, from_right=True)
        right = _length_inside(ax, ay, bx, by, x2, y1, y2, from_right=False)
        area = inner + x2[:, 0] * right - x1[:, 0] * left
        return np.asarray(np.maximum(area, 0.0), dtype=np.float64)


def _clipped_edges_integral(
    ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray,
    x1: FloatArray, y1: FloatArray, x2: FloatArray, y2: FloatArray,
) -> FloatArray:
    """Σ ∮ x dy over each polygon edge clipped to its box (Liang–Barsky)."""
    dx, dy = bx - ax, by - ay
    # The four slabs at once: p * t <= q for t in [0, 1].
    p = np.stack([-dx, dx, -dy, dy])
    q = np.stack([ax - x1, x2 - ax, ay - y1, y2 - ay])
    with np.errstate(divide="ignore", invalid="ignore"):
        r = q / p
    t0 = np.maximum(np.where(p < 0, r, 0.0).max(axis=0), 0.0)
    t1 = np.minimum(np.where(p > 0, r, 1.0).min(axis=0), 1.0)
    reject = ((p == 0) & (q < 0)).any(axis=0)
    # A vertical edge lying on the box's left or right side is counted with that side.
    on_side = (dx == 0) & ((ax == x1) | (ax == x2))
    keep = ~reject & ~on_side & (t1 > t0)
    xa, ya = ax + t0 * dx, ay + t0 * dy
    xb, yb = ax + t1 * dx, ay + t1 * dy
    return np.asarray(np.where(keep, 0.5 * (xa + xb) * (yb - ya), 0.0).sum(axis=1))


def _length_inside(
    ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray,
    c: FloatArray, y1: FloatArray, y2: FloatArray, from_right: bool,
) -> FloatArray:
    """Length of the vertical segment x = c, y in [y1, y2] that lies inside the polygon,
    evaluated just inside the box (from its right for the left side and vice versa)."""
    cross = ((ax <= c) != (bx <= c)) if from_right else ((ax < c) != (bx < c))
    dx = bx - ax
    with np.errstate(divide="ignore", invalid="ignore"):
        yi = ay + (c - ax) * (by - ay) / dx
    # Winding number below y steps by sign(dx) at each crossing; integrate it over [y1, y2].
    step = np.where(cross, np.sign(dx) * (y2 - np.clip(yi, y1, y2)), 0.0)
    return np.asarray(np.abs(step.sum(axis=1)))
