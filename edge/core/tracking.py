"""Per-camera multi-person tracking on top of norfair.

norfair was chosen over ByteTrack packages because it is small (filterpy + rich), keeps ids per
tracker instance (deterministic replays) and has an IoU distance with hit/miss counters, which
is what lets a person whose detection flickers for a few frames keep one id. The Roboflow
`trackers`/`supervision` packages pull in the non-headless OpenCV wheel, which clashes with
opencv-python-headless on an edge box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.core.norfair_import import Detection, TrackedObject, Tracker
from models.types import Detections
from zones.types import Track


@dataclass(frozen=True)
class TrackerSettings:
    # A track survives this long without a matching detection (coasting on its Kalman
    # estimate), so short detector misses neither end nor restart violations.
    max_coast_s: float = 1.2
    # Detections needed before a new id is reported: one stray false positive is not a person.
    confirm_frames: int = 2
    # 1 - IoU above which a detection cannot continue a track.
    max_iou_distance: float = 0.8


class PersonTracker:
    """Detections in pixels → tracks with stable ids and normalised boxes."""

    def __init__(self, analysis_fps: float, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        hit_max = max(2, round(self.settings.max_coast_s * analysis_fps))
        self._tracker = Tracker(
            distance_function=iou_distance,
            distance_threshold=self.settings.max_iou_distance,
            hit_counter_max=hit_max,
            initialization_delay=min(self.settings.confirm_frames - 1, hit_max - 1),
            past_detections_length=0,
        )
        self.matched_ids: set[int] = set()

    def update(self, detections: Detections, resolution_wh: tuple[int, int]) -> list[Track]:
        boxes = detections.boxes_xyxy_px.astype(np.float64)
        dets = [
            Detection(points=box.reshape(2, 2), scores=np.array([s, s]), data=tuple(box.tolist()))
            for box, s in zip(boxes, detections.scores, strict=True)
        ]
        objects = self._tracker.update(detections=dets)
        this_call = {id(d) for d in dets}
        # Tracks a detection of this frame continued (the others are coasting).
        self.matched_ids = {int(o.id) for o in objects
                            if o.last_detection is not None and id(o.last_detection) in this_call}
        w, h = resolution_wh
        tracks = []
        for obj in objects:
            (x1, y1), (x2, y2) = obj.estimate
            box_norm = (
                _clip01(x1 / w), _clip01(y1 / h), _clip01(x2 / w), _clip01(y2 / h)
            )
            score = float(obj.last_detection.scores[0]) if obj.last_detection is not None else 0.0
            tracks.append(Track(track_id=int(obj.id), box_xyxy_norm=box_norm, score=score))
        tracks.sort(key=lambda t: t.track_id)
        return tracks


def iou_distance(detection: Detection, tracked: TrackedObject) -> float:
    """1 - IoU, as norfair's "iou" distance, on plain floats.

    norfair 2.1 calls the distance once per (track, detection) pair; its own version does
    numpy work on 2x2 arrays per call, which made it half of the tracker's time (norfair 2.2
    has vectorised distances but requires numpy < 2)."""
    ax1, ay1, ax2, ay2 = detection.data
    (p1, q1), (p2, q2) = tracked.estimate.tolist()
    bx1, bx2 = (p1, p2) if p1 <= p2 else (p2, p1)
    by1, by2 = (q1, q2) if q1 <= q2 else (q2, q1)
    iw = min(ax2, bx2) - max(ax1, bx1)
    ih = min(ay2, by2) - max(ay1, by1)
    if iw <= 0 or ih <= 0:
        return 1.0
    inter = iw * ih
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter
    return 1.0 - inter / union if union > 0 else 1.0


def _clip01(v: float) -> float:
    return float(min(1.0, max(0.0, v)))
