"""Homogeneous maps and convex clipping, vectorised over points.

A homography is only a faithful picture of the floor on one side of its "line at infinity":
image points beyond the horizon map to ground points behind the camera (the projective w
changes sign), and a straight ground edge that crosses behind the camera is drawn as two rays
leaving the frame. So every mapping here reports w <= 0 as NaN, and polygons are first cut to
the convex region where w stays positive before their vertices are mapped.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

UNIT_SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])


def homogeneous(points: FloatArray) -> FloatArray:
    return np.column_stack([points, np.ones(len(points))])


def apply(h: FloatArray, points: FloatArray) -> FloatArray:
    """Map (N, 2) points through `h`; rows whose w is not strictly positive are NaN."""
    q = homogeneous(points) @ h.T
    w = q[:, 2]
    out = np.full((len(points), 2), np.nan)
    ok = w > 0
    out[ok] = q[ok, :2] / w[ok, None]
    return out


def w_of(h: FloatArray, points: FloatArray) -> FloatArray:
    return np.asarray(homogeneous(points) @ h[2], dtype=np.float64)


def clip_half_plane(poly: FloatArray, line: FloatArray) -> FloatArray:
    """The part of convex polygon `poly` (K, 2) where a*x + b*y + c >= 0 (Sutherland-Hodgman)."""
    if len(poly) == 0:
        return poly
    s = homogeneous(poly) @ line
    out: list[FloatArray] = []
    for k in range(len(poly)):
        p, q, sp, sq = poly[k], poly[(k + 1) % len(poly)], s[k], s[(k + 1) % len(poly)]
        if sp >= 0:
            out.append(p)
        if (sp >= 0) != (sq >= 0):
            out.append(p + (q - p) * (sp / (sp - sq)))
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def line_through_square(line: FloatArray) -> tuple[FloatArray, FloatArray] | None:
    """Where the line a*x + b*y + c = 0 crosses the unit square, if it does (two ends)."""
    s = homogeneous(UNIT_SQUARE) @ line
    hits: list[FloatArray] = []
    for k in range(4):
        p, q, sp, sq = UNIT_SQUARE[k], UNIT_SQUARE[(k + 1) % 4], s[k], s[(k + 1) % 4]
        if sp == 0:
            hits.append(p)
        elif (sp > 0) != (sq > 0) and sq != 0:
            hits.append(p + (q - p) * (sp / (sp - sq)))
    if len(hits) < 2:
        return None
    a, b = hits[0], max(hits[1:], key=lambda p: float(np.hypot(*(p - hits[0]))))
    if np.allclose(a, b):
        return None
    return a, b


def local_scale(h: FloatArray, points: FloatArray) -> FloatArray:
    """sqrt|det J| of the map at each point: output length per input length (NaN behind)."""
    q = homogeneous(points) @ h.T
    w = q[:, 2]
    mapped = q[:, :2] / np.where(w > 0, w, np.nan)[:, None]
    # d(q_xy / w) = (H_xy - mapped * H_w) / w, per input axis
    jac = (h[None, :2, :2] - mapped[:, :, None] * h[None, 2:3, :2]) / w[:, None, None]
    det = jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0]
    return np.asarray(np.sqrt(np.abs(det)), dtype=np.float64)
