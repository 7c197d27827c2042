"""Vectorised zone geometry: every anchor of a frame against every zone in one call.

Everything is in normalised image coordinates (x right, y down, [0, 1]), so a camera's zones
are compiled once and stay valid for any stream resolution (the overlap fraction is a ratio
of areas and does not change when the axes are scaled).

Points on a polygon's boundary count as inside (`shapely.intersects_xy`). The overlap anchor
uses the exact intersection area (zones/overlap.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import Polygon

from zones.overlap import PolygonEdges
from zones.spec import ZoneSpec
from zones.types import Track

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class FrameArrays:
    """The usable tracks of one frame as arrays (row i belongs to `tracks[i]`)."""

    tracks: tuple[Track, ...]
    ids: NDArray[np.int64]
    boxes_xyxy_norm: FloatArray  # (N, 4)
    scores: FloatArray  # (N,)

    @property
    def ground_xy_m(self) -> FloatArray:
        """(N, 2) feet on the floor in metres; NaN where the camera is not calibrated."""
        return np.array([t.ground_xy_m if t.ground_xy_m is not None else (np.nan, np.nan)
                         for t in self.tracks], dtype=np.float64).reshape(len(self.tracks), 2)


def frame_arrays(tracks: Sequence[Track]) -> FrameArrays:
    """Drop unusable tracks (non-finite, inverted boxes, repeated ids) and stack the rest."""
    n = len(tracks)
    if n == 0:
        return FrameArrays((), np.empty(0, np.int64), np.empty((0, 4)), np.empty(0))
    boxes = np.array([tr.box_xyxy_norm for tr in tracks], dtype=np.float64).reshape(n, 4)
    scores = np.array([tr.score for tr in tracks], dtype=np.float64)
    ids = np.array([tr.track_id for tr in tracks], dtype=np.int64)
    ok = (
        np.isfinite(boxes).all(axis=1)
        & np.isfinite(scores)
        & (boxes[:, 2] >= boxes[:, 0])
        & (boxes[:, 3] >= boxes[:, 1])
    )
    _, first = np.unique(ids, return_index=True)
    if len(first) < n:  # repeated ids: the first one wins
        unique_first = np.zeros(n, dtype=bool)
        unique_first[first] = True
        ok &= unique_first
    if ok.all():
        return FrameArrays(tuple(tracks), ids, boxes, scores)
    keep = np.flatnonzero(ok)
    return FrameArrays(tuple(tracks[int(i)] for i in keep), ids[keep], boxes[keep], scores[keep])


def bottom_centers(boxes: FloatArray) -> tuple[FloatArray, FloatArray]:
    return (boxes[:, 0] + boxes[:, 2]) * 0.5, boxes[:, 3]


def centers(boxes: FloatArray) -> tuple[FloatArray, FloatArray]:
    return (boxes[:, 0] + boxes[:, 2]) * 0.5, (boxes[:, 1] + boxes[:, 3]) * 0.5


class ExclusionGeometry:
    """Areas where detections are ignored: a track whose box centre lies in a mask is dropped."""

    def __init__(self, masks_norm: Sequence[Sequence[tuple[float, float]]]) -> None:
        polys = [Polygon([(float(x), float(y)) for x, y in m]) for m in masks_norm]
        self._union = shapely.union_all(polys) if polys else None
        if self._union is not None:
            shapely.prepare(self._union)

    def keep(self, boxes: FloatArray) -> BoolArray:
        if self._union is None or len(boxes) == 0:
            return np.ones(len(boxes), dtype=bool)
        cx, cy = centers(boxes)
        return ~np.asarray(shapely.intersects_xy(self._union, cx, cy), dtype=bool)


class AreaGeometry:
    """Polygon zones compiled once; `inside` answers all tracks x all zones per frame."""

    def __init__(self, specs: Sequence[ZoneSpec]) -> None:
        self._polys = np.array(
            [Polygon(s.points_norm) for s in specs], dtype=object
        ).reshape(len(specs))
        shapely.prepare(self._polys)
        self._bounds = shapely.bounds(self._polys).reshape(len(specs), 4)
        self._center_rows = np.array([s.anchor == "center" for s in specs], dtype=bool)
        self._overlap_rows = np.flatnonzero([s.anchor == "overlap" for s in specs])
        self._min_overlap = np.array([s.min_overlap for s in specs], dtype=np.float64)
        self._overlap_edges = PolygonEdges([specs[int(i)].points_norm for i in self._overlap_rows])
        # Zones measured on the floor: a person counts within min_distance_m of the zone.
        self._metric_rows = np.flatnonzero([s.min_distance_m is not None
                                            and s.ground_points_m is not None for s in specs])
        self._ground_polys = np.array(
            [Polygon(specs[int(i)].ground_points_m) for i in self._metric_rows], dtype=object
        ).reshape(len(self._metric_rows))
        self._min_dist = np.array([specs[int(i)].min_distance_m for i in self._metric_rows],
                                  dtype=np.float64)
        self._min_score = np.array([s.filters.min_score for s in specs], dtype=np.float64)
        self._min_h = np.array([s.filters.min_height_frac for s in specs], dtype=np.float64)
        self._max_h = np.array([s.filters.max_height_frac for s in specs], dtype=np.float64)

    @property
    def measures_floor(self) -> bool:
        return len(self._metric_rows) > 0

    def inside(self, boxes: FloatArray, scores: FloatArray,
               ground_xy_m: FloatArray | None = None) -> BoolArray:
        """(zones, tracks) mask: the track passes the zone's filters and its anchor is inside
        (for a zone measured on the floor: its feet are within min_distance_m of it; a track
        without a floor position is judged by its anchor)."""
        n_zones, n = len(self._polys), len(boxes)
        if n_zones == 0 or n == 0:
            return np.zeros((n_zones, n), dtype=bool)
        heights = boxes[:, 3] - boxes[:, 1]
        passes = (
            (scores[None, :] >= self._min_score[:, None])
            & (heights[None, :] >= self._min_h[:, None])
            & (heights[None, :] <= self._max_h[:, None])
        )
        bx, by = bottom_centers(boxes)
        hit = np.asarray(shapely.intersects_xy(self._polys[:, None], bx[None, :], by[None, :]))
        if self._center_rows.any():
            cx, cy = centers(boxes)
            rows = self._polys[self._center_rows]
            hit[self._center_rows] = shapely.intersects_xy(rows[:, None], cx[None, :], cy[None, :])
        if len(self._overlap_rows):
            hit[self._overlap_rows] = self._overlap_hits(boxes)
        if len(self._metric_rows) and ground_xy_m is not None:
            self._metric_hits(hit, ground_xy_m)
        return hit & passes

    def _metric_hits(self, hit: BoolArray, ground_xy_m: FloatArray) -> None:
        known = np.isfinite(ground_xy_m).all(axis=1)
        if not known.any():
            return
        pts = shapely.points(ground_xy_m[known])
        dist = np.asarray(shapely.distance(self._ground_polys[:, None], pts[None, :]))
        rows = hit[self._metric_rows]
        rows[:, known] = dist <= self._min_dist[:, None] + 1e-9
        hit[self._metric_rows] = rows

    def _overlap_hits(self, boxes: FloatArray) -> BoolArray:
        rows = self._overlap_rows
        zb = self._bounds[rows]
        # Only boxes whose bounding rectangle meets the zone's need an exact intersection.
        cand = (
            (boxes[None, :, 0] <= zb[:, None, 2])
            & (boxes[None, :, 2] >= zb[:, None, 0])
            & (boxes[None, :, 1] <= zb[:, None, 3])
            & (boxes[None, :, 3] >= zb[:, None, 1])
        )
        out = np.zeros(cand.shape, dtype=bool)
        zi, bi = np.nonzero(cand)
        if len(zi) == 0:
            return out
        inter = self._overlap_edges.intersection_area(zi, boxes[bi])
        areas = (boxes[bi, 2] - boxes[bi, 0]) * (boxes[bi, 3] - boxes[bi, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(areas > 0, inter / areas, 0.0)
        out[zi, bi] = frac >= self._min_overlap[rows[zi]] - 1e-12
        return out


class LineGeometry:
    """Directed tripwires p0 -> p1; signed distances of all anchors to all lines per frame.

    The sign is the 2-D cross product (p1 - p0) x (a - p0) in image coordinates (y down):
    positive means the anchor is on the right-hand side of the line as drawn on screen when
    walking from p0 to p1.
    """

    def __init__(self, specs: Sequence[ZoneSpec]) -> None:
        pts = np.array([s.points_norm for s in specs], dtype=np.float64).reshape(len(specs), 2, 2)
        self._p0 = pts[:, 0, :]
        self._d = pts[:, 1, :] - pts[:, 0, :]
        self._len = np.hypot(self._d[:, 0], self._d[:, 1])
        self._center_rows = np.array([s.anchor == "center" for s in specs], dtype=bool)
        self._min_score = np.array([s.filters.min_score for s in specs], dtype=np.float64)
        self._min_h = np.array([s.filters.min_height_frac for s in specs], dtype=np.float64)
        self._max_h = np.array([s.filters.max_height_frac for s in specs], dtype=np.float64)

    def anchors(self, boxes: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(lines, tracks) anchor coordinates: bottom centre, or centre where configured."""
        bx, by = bottom_centers(boxes)
        cx, cy = centers(boxes)
        rows = self._center_rows[:, None]
        return np.where(rows, cx[None, :], bx[None, :]), np.where(rows, cy[None, :], by[None, :])

    def signed_distance(self, ax: FloatArray, ay: FloatArray) -> FloatArray:
        dx, dy = self._d[:, 0:1], self._d[:, 1:2]
        cross = dx * (ay - self._p0[:, 1:2]) - dy * (ax - self._p0[:, 0:1])
        return np.asarray(cross / self._len[:, None], dtype=np.float64)

    def passes(self, boxes: FloatArray, scores: FloatArray) -> BoolArray:
        heights = boxes[:, 3] - boxes[:, 1]
        return np.asarray(
            (scores[None, :] >= self._min_score[:, None])
            & (heights[None, :] >= self._min_h[:, None])
            & (heights[None, :] <= self._max_h[:, None]),
            dtype=bool,
        )

    def crossing_param(
        self, row: int, prev_xy: tuple[float, float], cur_xy: tuple[float, float]
    ) -> float:
        """Where the step prev -> cur meets line `row`, as a fraction along p0 -> p1."""
        px, py = prev_xy
        qx, qy = cur_xy
        dx, dy = float(self._d[row, 0]), float(self._d[row, 1])
        x0, y0 = float(self._p0[row, 0]), float(self._p0[row, 1])
        sx, sy = qx - px, qy - py
        denom = sx * dy - sy * dx
        if denom == 0.0:
            return float("nan")
        # Solve p + s*t = p0 + d*u for u.
        return ((px - x0) * sy - (py - y0) * sx) / -denom
