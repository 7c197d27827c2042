"""Metres on calibrated cameras: zones as the rules see them, floor positions of people,
and the size check that drops what cannot be a standing person.

A zone's `buffer_m` grows it on the floor (drawn back onto the image, so the rules and the
snapshots see the grown polygon); `min_distance_m` gives the rules the zone's floor outline
and every track its feet's floor position. `calibration.person_height_m` drops detections
whose implied standing height is outside the range (posters, reflections), except boxes cut
by the frame's top or bottom edge, whose height says nothing.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from edge.config import SiteConfig
from models.types import Detections
from zones.spec import ZoneSpec
from zones.types import Track

if TYPE_CHECKING:
    from calibration import Calibration, Point

EDGE_MARGIN_FRAC = 0.01  # a box this close to the top or bottom is cut by the frame


def calibration_of(cfg: SiteConfig, camera_id: str) -> Calibration | None:
    cal = cfg.camera(camera_id).calibration
    return cal.fitted() if cal is not None else None


def zone_specs(cfg: SiteConfig, camera_id: str) -> list[ZoneSpec]:
    """The camera's zones as the rules (and snapshots) use them."""
    cal = calibration_of(cfg, camera_id)
    specs: list[ZoneSpec] = []
    for z in cfg.zones_of(camera_id):
        spec = z.to_spec()
        buffer_m = getattr(z, "buffer_m", None)
        if cal is not None and buffer_m:
            grown = cal.buffer_polygon_norm(spec.points_norm, buffer_m)
            spec = dataclasses.replace(spec, points_norm=_pairs(grown))
        if cal is not None and spec.min_distance_m is not None:
            floor = cal.image_polygon_to_ground(spec.points_norm)
            spec = dataclasses.replace(spec, ground_points_m=_pairs(floor))
        specs.append(spec)
    return specs


def _pairs(points: list[tuple[float, float]] | list[Point]) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in points)


def plausible(detections: Detections, image_wh: tuple[int, int], cal: Calibration,
              height_range_m: tuple[float, float]) -> Detections:
    """Only the detections that can be a standing person (or whose size cannot be judged)."""
    if len(detections) == 0:
        return detections
    w, h = image_wh
    boxes = detections.boxes_xyxy_px.astype(np.float64) / np.array([w, h, w, h])
    heights = cal.person_heights_m(boxes)
    lo, hi = height_range_m
    cut = (boxes[:, 1] <= EDGE_MARGIN_FRAC) | (boxes[:, 3] >= 1 - EDGE_MARGIN_FRAC)
    ok = ~np.isfinite(heights) | cut | ((heights >= lo) & (heights <= hi))
    if ok.all():
        return detections
    return Detections(detections.boxes_xyxy_px[ok], detections.scores[ok])


def on_the_floor(tracks: list[Track], cal: Calibration) -> list[Track]:
    """The tracks with their feet's floor position (metres)."""
    if not tracks:
        return tracks
    feet = cal.ground_position_m(np.array([t.box_xyxy_norm for t in tracks]))
    return [dataclasses.replace(t, ground_xy_m=(float(x), float(y)))
            if np.isfinite(x) and np.isfinite(y) else t
            for t, (x, y) in zip(tracks, feet, strict=True)]
