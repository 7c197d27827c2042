"""Refuse point pairs that cannot define a homography, each with its own code and reason.

A plane-to-plane homography has 8 degrees of freedom; it is fixed by 4 pairs only when no three
of those 4 points lie on one line, in the image AND on the ground. Near-collinear points are as
bad as collinear ones (the fit is then decided by click noise), so "on one line" means within
a tolerance: the triangle's smallest altitude is at most `_COLLINEAR_REL` of the spread of the
points, or a pixel (a few millimetres on the ground), whichever is larger.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from calibration.errors import CalibrationError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

MIN_PAIRS = 4
_DUPLICATE_PX = 0.5
_DUPLICATE_M = 0.001
_COLLINEAR_REL = 0.005
_COLLINEAR_PX = 1.0
_COLLINEAR_M = 0.005


def points_array(values: ArrayLike, what: str) -> FloatArray:
    """(N, 2) float64 array, or CalibrationError("bad_input") naming `what`."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise CalibrationError("bad_input", f"{what} must be a list of (x, y) numbers") from exc
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise CalibrationError(
            "bad_input", f"{what} must be a list of (x, y) pairs, got shape {arr.shape}"
        )
    return arr


def resolution(resolution_wh: Sequence[float]) -> tuple[int, int]:
    try:
        w, h = (float(v) for v in resolution_wh)
    except (TypeError, ValueError) as exc:
        raise CalibrationError("bad_input", "resolution_wh must be (width, height)") from exc
    if not (w >= 1 and h >= 1 and w.is_integer() and h.is_integer()):
        raise CalibrationError(
            "bad_input", f"resolution_wh must be two positive whole pixel counts, got {w}, {h}"
        )
    return int(w), int(h)


def check_pairs(image_px: FloatArray, image_norm: FloatArray, ground_m: FloatArray) -> None:
    """Everything that can be said about the pairs before fitting; raises on the first fault."""
    n = len(image_norm)
    if len(ground_m) != n:
        raise CalibrationError(
            "mismatched_lengths",
            f"{n} image points but {len(ground_m)} ground points; every clicked point needs "
            "its ground coordinates",
        )
    bad = np.flatnonzero(~(np.isfinite(image_norm).all(axis=1) & np.isfinite(ground_m).all(axis=1)))
    if len(bad):
        raise CalibrationError("non_finite", f"point {int(bad[0])} has a non-finite coordinate")
    if n < MIN_PAIRS:
        raise CalibrationError(
            "too_few_points",
            f"{n} point pairs given; a floor calibration needs at least {MIN_PAIRS} "
            "(6 or more let mistakes be detected)",
        )
    outside = np.flatnonzero(((image_norm < 0.0) | (image_norm > 1.0)).any(axis=1))
    if len(outside):
        i = int(outside[0])
        raise CalibrationError(
            "out_of_frame", f"image point {i} {tuple(image_norm[i])} is outside the frame [0, 1]"
        )
    _check_duplicates(image_px, "image", _DUPLICATE_PX, "px")
    _check_duplicates(ground_m, "ground", _DUPLICATE_M, "m")
    _check_general_position(image_px, ground_m)


def _check_duplicates(points: FloatArray, space: str, tol: float, unit: str) -> None:
    d = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    i, j = np.nonzero(np.triu(d <= tol, k=1))
    if len(i):
        raise CalibrationError(
            "duplicate_points",
            f"points {int(i[0])} and {int(j[0])} are the same {space} point "
            f"(within {tol} {unit}); each pair must be a different spot on the floor",
        )


def collinear_tolerance(points: FloatArray, absolute: float) -> float:
    spread = float(np.hypot(*np.ptp(points, axis=0))) if len(points) else 0.0
    return max(absolute, _COLLINEAR_REL * spread)


def in_general_position(image_px: FloatArray, ground_m: FloatArray) -> bool:
    """Whether some 4 pairs have no three (near-)collinear, in the image and on the ground."""
    tol_i = collinear_tolerance(image_px, _COLLINEAR_PX)
    tol_g = collinear_tolerance(ground_m, _COLLINEAR_M)
    return general_position_quad([(image_px, tol_i), (ground_m, tol_g)]) is not None


def _check_general_position(image_px: FloatArray, ground_m: FloatArray) -> None:
    if in_general_position(image_px, ground_m):
        return
    tol_i = collinear_tolerance(image_px, _COLLINEAR_PX)
    tol_g = collinear_tolerance(ground_m, _COLLINEAR_M)
    if general_position_quad([(image_px, tol_i)]) is None:
        where = "in the image"
    elif general_position_quad([(ground_m, tol_g)]) is None:
        where = "on the ground"
    else:
        where = "in the image and on the ground at once"
    raise CalibrationError(
        "collinear",
        f"no 4 of the {len(image_px)} points are in general position {where}: a homography "
        "needs 4 points of which no three lie on one line; add points off the line(s)",
    )


def general_position_quad(
    spaces: Sequence[tuple[FloatArray, float]],
) -> tuple[int, int, int, int] | None:
    """Indices of 4 points with no three (near-)collinear in every (points, tol) space."""
    n = len(spaces[0][0])

    def proper(i: int, j: int, ks: NDArray[np.intp]) -> BoolArray:
        ok = np.ones(len(ks), dtype=bool)
        for pts, tol in spaces:
            ok &= _triangle_altitude(pts[i], pts[j], pts[ks]) > tol
        return ok

    for i in range(n):
        for j in range(i + 1, n):
            ks = np.arange(j + 1, n)
            ks = ks[proper(i, j, ks)]
            for pos, k in enumerate(ks[:-1]):
                ls = ks[pos + 1 :]
                ls = ls[proper(i, int(k), ls) & proper(j, int(k), ls)]
                if len(ls):
                    return i, j, int(k), int(ls[0])
    return None


def _triangle_altitude(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Smallest altitude of triangles (a, b, c[k]): twice the area over the longest side."""
    ab, ac = b - a, c - a
    twice_area = np.abs(ab[0] * ac[:, 1] - ab[1] * ac[:, 0])
    sides = np.stack(
        [np.full(len(c), np.hypot(*ab)), np.hypot(*ac.T), np.hypot(*(c - b).T)], axis=0
    )
    longest = sides.max(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(longest > 0, twice_area / longest, 0.0)
