"""Polygons and segments cut to a convex region (shapely), as plain vertex arrays.

Zones are single polygons in the site file, so a cut that leaves several pieces keeps the
largest one, and holes are filled (a hole inside a buffered hazard is still near the hazard).
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

FloatArray = NDArray[np.float64]
Point = tuple[float, float]
Segment = tuple[Point, Point]


def polygon(points: ArrayLike, what: str = "polygon") -> Polygon:
    """A valid shapely polygon from >= 3 finite (x, y) vertices, else ValueError."""
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 3:
        raise ValueError(f"{what} needs at least 3 (x, y) vertices, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{what} has a non-finite vertex")
    poly = Polygon(arr)
    if not poly.is_valid or poly.area == 0:
        reason = shapely.is_valid_reason(poly)
        raise ValueError(f"{what} is not a simple polygon with an area: {reason}")
    return poly


def largest_exterior(geom: BaseGeometry) -> FloatArray:
    """Vertices (K, 2), not closed, of the largest polygon in `geom`; (0, 2) when none."""
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]
    if not polys:
        return np.empty((0, 2))
    best = max(polys, key=lambda p: p.area)
    return np.asarray(best.exterior.coords, dtype=np.float64)[:-1]


def clip(poly: Polygon, region: FloatArray) -> FloatArray:
    if len(region) < 3:
        return np.empty((0, 2))
    return largest_exterior(poly.intersection(Polygon(region)))


def clip_segment(a: Point, b: Point, region: Polygon) -> tuple[FloatArray, FloatArray] | None:
    cut = LineString([a, b]).intersection(region)
    # A line meets a convex region in one segment, a touching point, or nothing.
    if not isinstance(cut, LineString) or cut.length == 0:
        return None
    coords = np.asarray(cut.coords, dtype=np.float64)
    return coords[0], coords[-1]


def as_points(arr: FloatArray) -> list[Point]:
    return [(float(x), float(y)) for x, y in arr]
