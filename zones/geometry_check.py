"""Validation of integrator-drawn geometry. Bad geometry is rejected, never repaired."""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from shapely.geometry import LineString, Polygon


def polygon_problem(points_norm: Sequence[Sequence[float]]) -> str | None:
    """Return why `points_norm` is not a usable zone polygon, or None when it is."""
    if len(points_norm) < 3:
        return f"a polygon needs at least 3 points, got {len(points_norm)}"
    problem = _coords_problem(points_norm)
    if problem:
        return problem
    poly = Polygon([(float(p[0]), float(p[1])) for p in points_norm])
    if not poly.is_valid:
        reason = shapely.is_valid_reason(poly)
        return f"polygon is not simple ({reason}); redraw it without crossing edges"
    if poly.area <= 1e-9:
        return "polygon has no area (all points on one line)"
    return None


def line_problem(points_norm: Sequence[Sequence[float]]) -> str | None:
    """Return why `points_norm` is not a usable tripwire, or None when it is."""
    if len(points_norm) != 2:
        return f"a line needs exactly 2 points, got {len(points_norm)}"
    problem = _coords_problem(points_norm)
    if problem:
        return problem
    if LineString([tuple(p) for p in points_norm]).length <= 1e-9:
        return "the two points of the line are the same"
    return None


def _coords_problem(points_norm: Sequence[Sequence[float]]) -> str | None:
    for i, p in enumerate(points_norm):
        if len(p) != 2:
            return f"point {i} must be [x, y], got {list(p)}"
        x, y = float(p[0]), float(p[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            return (
                f"point {i} = [{x}, {y}] is outside the image; coordinates are normalised "
                "to [0, 1] (x from the left, y from the top)"
            )
    return None
