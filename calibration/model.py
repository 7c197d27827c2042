"""A fitted floor calibration: maps, metric zones and person heights, vectorised.

Made by `calibration.fit` (or `from_rectangle` / `from_dict`), never by hand: the homography
is always derived from the integrator's point pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry import Polygon, box

from calibration import pinhole, projective, regions
from calibration.pinhole import PinholeCamera
from calibration.regions import Point, Segment

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_MAX_GRID_LINES = 400


@dataclass(frozen=True, eq=False)
class Calibration:
    """Image (normalised x, y in [0, 1], origin top-left) <-> floor (metres) of one camera.

    `image_to_ground_h` maps homogeneous normalised image points to the floor and is scaled
    so that its w is positive in front of the camera; `ground_to_image_h` is its inverse.
    `residuals_m[i]` is the floor distance between pair i's typed point and where its clicked
    point maps, for every pair; `inliers` marks the pairs the fit kept and `rms_m` is over them.
    `camera` is the pinhole recovered for heights, None when the view is too close to
    head-on for a focal length. `visible_region_norm` is the convex part of the frame that
    shows the floor (below the horizon, cut `far_m` from the pairs so it stays bounded) and
    `visible_ground_m` is the same region on the floor.
    """

    resolution_wh: tuple[int, int]
    image_points_norm: FloatArray
    ground_points_m: FloatArray
    ransac_threshold_m: float
    max_rms_m: float
    image_to_ground_h: FloatArray
    ground_to_image_h: FloatArray
    residuals_m: FloatArray
    inliers: BoolArray
    rms_m: float
    camera: PinholeCamera | None
    far_m: float
    visible_region_norm: FloatArray
    visible_ground_m: FloatArray

    # -- points -------------------------------------------------------------------------

    def image_to_ground(self, points_norm: ArrayLike) -> FloatArray:
        """(N, 2) floor metres; NaN rows for points at or above the horizon."""
        return projective.apply(self.image_to_ground_h, _points(points_norm))

    def ground_to_image(self, points_m: ArrayLike) -> FloatArray:
        """(N, 2) normalised image points (may lie outside [0, 1]); NaN behind the camera."""
        return projective.apply(self.ground_to_image_h, _points(points_m))

    def ground_position_m(self, boxes_xyxy_norm: ArrayLike) -> FloatArray:
        """(N, 2) floor position of each box's bottom centre (where the person stands)."""
        return self.image_to_ground(_feet(_boxes(boxes_xyxy_norm)))

    # -- polygons -----------------------------------------------------------------------

    def image_polygon_to_ground(self, points_norm: ArrayLike) -> list[Point]:
        """The floor outline (metres) of an image polygon's part that shows the floor.

        Empty when no part of it lies below the horizon. Straight image edges are straight
        floor edges, so mapping the vertices of the cut polygon is exact.
        """
        cut = regions.clip(regions.polygon(points_norm), self.visible_region_norm)
        return regions.as_points(projective.apply(self.image_to_ground_h, cut))

    def ground_polygon_to_image(self, points_m: ArrayLike) -> list[Point]:
        """The image outline (normalised) of a floor polygon's part that the frame shows.

        The polygon is cut on the floor to the visible region first, so a zone that reaches
        behind the camera or out of the frame is drawn as the part in view, never as the
        mirrored rays a homography gives beyond the horizon. Empty when none is in view.
        """
        cut = regions.clip(regions.polygon(points_m), self.visible_ground_m)
        return regions.as_points(self._in_frame(cut))

    def buffer_polygon_norm(self, points_norm: ArrayLike, buffer_m: float) -> list[Point]:
        """An image zone grown by `buffer_m` on the floor, drawn back on the visible floor.

        The buffer is round (every floor point within `buffer_m` of the zone), holes are
        filled, and a negative buffer shrinks. The zone is first cut to the visible floor.
        """
        if not math.isfinite(buffer_m):
            raise ValueError(f"buffer_m must be finite, got {buffer_m}")
        ground = self.image_polygon_to_ground(points_norm)
        if len(ground) < 3:
            return []
        grown = Polygon(ground).buffer(buffer_m, quad_segs=16)
        outline = regions.largest_exterior(grown)
        if len(outline) < 3:
            return []
        return self.ground_polygon_to_image(outline)

    # -- people -------------------------------------------------------------------------

    def distances_m(self, points_or_boxes_norm: ArrayLike, polygon_norm: ArrayLike) -> FloatArray:
        """(N,) floor distance from each person's feet to an image zone; 0 inside.

        Rows are feet points (x, y) or boxes (x0, y0, x1, y1), whose bottom centre is used.
        NaN where the feet are at or above the horizon.
        """
        arr = np.asarray(points_or_boxes_norm, dtype=np.float64)
        arr = arr.reshape(1, -1) if arr.ndim == 1 else arr
        feet = _feet(_boxes(arr)) if arr.shape[-1] == 4 else _points(arr)
        zone = self.image_polygon_to_ground(polygon_norm)
        if len(zone) < 3:
            raise ValueError("the polygon has no part on the visible floor")
        ground = self.image_to_ground(feet)
        out = np.full(len(ground), np.nan)
        ok = np.isfinite(ground).all(axis=1)
        out[ok] = shapely.distance(Polygon(zone), shapely.points(ground[ok]))
        return out

    def distance_m(self, point_or_box_norm: ArrayLike, polygon_norm: ArrayLike) -> float:
        """`distances_m` for one feet point or box (NaN at or above the horizon)."""
        return float(self.distances_m(point_or_box_norm, polygon_norm)[0])

    def person_heights_m(self, boxes_xyxy_norm: ArrayLike) -> FloatArray:
        """(N,) height of a standing person whose feet are at each box's bottom centre.

        With a recovered `camera`, the exact height whose head projects onto the box's top
        edge. Without one (a head-on view), the fallback is the box's pixel height times the
        floor's local metres-per-pixel at the feet: right for a person lying flat, only a
        rough size for a standing one. NaN where the feet are not on the visible floor or no
        height reaches the top edge.
        """
        boxes = _boxes(boxes_xyxy_norm)
        feet = _feet(boxes)
        tall = boxes[:, 3] > boxes[:, 1]
        if self.camera is not None:
            heights = pinhole.heights_m(self.camera, self.image_to_ground(feet), boxes[:, 1])
        else:
            w_px, h_px = self.resolution_wh
            g_px = self.image_to_ground_h @ np.diag([1.0 / w_px, 1.0 / h_px, 1.0])
            m_per_px = projective.local_scale(g_px, feet * (w_px, h_px))
            heights = (boxes[:, 3] - boxes[:, 1]) * h_px * m_per_px
        return np.where(tall, heights, np.nan)

    def person_height_m(self, box_xyxy_norm: ArrayLike) -> float | None:
        """`person_heights_m` for one box; None where it is undefined."""
        h = float(self.person_heights_m(box_xyxy_norm)[0])
        return h if math.isfinite(h) else None

    # -- drawing ------------------------------------------------------------------------

    @property
    def horizon_line_norm(self) -> tuple[float, float, float] | None:
        """(a, b, c) with a*x + b*y + c > 0 on the floor's side, (a, b) a unit vector.

        None for a head-on view, whose horizon is at infinity.
        """
        a, b, c = self.image_to_ground_h[2]
        n = math.hypot(a, b)
        if n <= 1e-12 * abs(c):
            return None
        return float(a / n), float(b / n), float(c / n)

    @property
    def horizon_y_norm(self) -> float | None:
        """Row of the horizon at the frame's centre column (may be outside [0, 1])."""
        line = self.horizon_line_norm
        if line is None or abs(line[1]) < 1e-9:
            return None
        a, b, c = line
        return -(a * 0.5 + c) / b

    def horizon_segment_norm(self) -> Segment | None:
        """The horizon's ends where it crosses the frame, None when it is not in view."""
        line = self.horizon_line_norm
        ends = None if line is None else projective.line_through_square(np.array(line))
        if ends is None:
            return None
        return (float(ends[0][0]), float(ends[0][1])), (float(ends[1][0]), float(ends[1][1]))

    def ground_grid_norm(
        self,
        spacing_m: float = 1.0,
        extent_m: tuple[float, float, float, float] | None = None,
    ) -> list[Segment]:
        """Image segments of floor lines x = k*spacing and y = k*spacing, cut to the view.

        `extent_m` is (x_min, y_min, x_max, y_max) on the floor; by default the pairs' bounds
        grown by half their size on every side.
        """
        if not (math.isfinite(spacing_m) and spacing_m > 0):
            raise ValueError(f"spacing_m must be positive, got {spacing_m}")
        x0, y0, x1, y1 = self._grid_extent() if extent_m is None else extent_m
        xs = np.arange(math.ceil(x0 / spacing_m), math.floor(x1 / spacing_m) + 1) * spacing_m
        ys = np.arange(math.ceil(y0 / spacing_m), math.floor(y1 / spacing_m) + 1) * spacing_m
        if len(xs) + len(ys) > _MAX_GRID_LINES:
            raise ValueError(f"a {spacing_m} m grid over {(x0, y0, x1, y1)} has too many lines")
        region = box(x0, y0, x1, y1).intersection(Polygon(self.visible_ground_m))
        lines = [((x, y0), (x, y1)) for x in xs] + [((x0, y), (x1, y)) for y in ys]
        out: list[Segment] = []
        for a, b in lines:
            cut = regions.clip_segment(a, b, region)
            if cut is not None:
                (u0, v0), (u1, v1) = self._in_frame(np.array(cut))
                out.append(((float(u0), float(v0)), (float(u1), float(v1))))
        return out

    def _in_frame(self, ground_m: FloatArray) -> FloatArray:
        """Image points of floor points already cut to the visible floor.

        They are in the frame by construction; the clip only removes rounding (-1e-17).
        """
        return np.clip(projective.apply(self.ground_to_image_h, ground_m), 0.0, 1.0)

    def _grid_extent(self) -> tuple[float, float, float, float]:
        lo, hi = self.ground_points_m.min(axis=0), self.ground_points_m.max(axis=0)
        pad = 0.5 * float(np.max(hi - lo))
        return float(lo[0] - pad), float(lo[1] - pad), float(hi[0] + pad), float(hi[1] + pad)

    # -- records ------------------------------------------------------------------------

    @property
    def outlier_indices(self) -> list[int]:
        return [int(i) for i in np.flatnonzero(~self.inliers)]

    def to_dict(self) -> dict[str, Any]:
        """What to store: the pairs and the thresholds (`calibration.from_dict` refits)."""
        return {
            "resolution_wh": [int(v) for v in self.resolution_wh],
            "pairs": [
                {"image_norm": [float(u), float(v)], "ground_m": [float(x), float(y)]}
                for (u, v), (x, y) in zip(self.image_points_norm, self.ground_points_m, strict=True)
            ],
            "ransac_threshold_m": self.ransac_threshold_m,
            "max_rms_m": self.max_rms_m,
        }


def _points(values: ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] == 2:
        arr = arr.reshape(1, 2)
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"expected (x, y) points, got shape {arr.shape}")
    return arr


def _boxes(values: ArrayLike) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr.reshape(1, 4)
    if arr.size == 0:
        arr = arr.reshape(0, 4)
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"expected (x0, y0, x1, y1) boxes, got shape {arr.shape}")
    return arr


def _feet(boxes: FloatArray) -> FloatArray:
    return np.column_stack([(boxes[:, 0] + boxes[:, 2]) * 0.5, boxes[:, 3]])
