"""CameraAnalysis: frames the motion gate did not detect keep the people where they were."""

from __future__ import annotations

import numpy as np
import yaml

from edge.config import parse_config
from edge.core.analysis import CameraAnalysis
from models.types import Detections


def _pipeline(min_duration_s: float = 1.0) -> CameraAnalysis:
    doc = {
        "site_id": "s", "box_id": "b", "timezone": "UTC",
        "detector": {"model": "m.onnx"},
        "cameras": [{"id": "c1", "url": "rtsp://cam/1", "analysis_fps": 5}],
        "zones": [{"id": "z", "camera": "c1", "kind": "danger_zone",
                   "points": [[0, 0], [1, 0], [1, 1], [0, 1]], "min_duration_s": min_duration_s,
                   "clear_s": 1.0}],
    }
    return CameraAnalysis(parse_config(yaml.safe_dump(doc)), "c1")


def _person(x_px: float) -> Detections:
    return Detections(np.array([[x_px, 100, x_px + 60, 260]], np.float32),
                      np.array([0.9], np.float32))


def test_undetected_frames_reuse_tracks_and_still_advance_the_rules() -> None:
    p = _pipeline()
    t0 = 1_000_000.0
    for k in range(3):  # a confirmed track
        p.process(_person(100), (640, 360), k * 0.2, t0 + k * 0.2)
    tracks = p.process(_person(100), (640, 360), 0.6, t0 + 0.6).tracks
    assert [t.track_id for t in tracks] == [1]
    started = []
    # Then 10 s without detection (nothing moved): the tracker is not stepped, so the
    # person neither coasts out nor drifts, and the zone's timer keeps running.
    for k in range(1, 51):
        res = p.process(None, (640, 360), 0.6 + k * 0.2, t0 + 0.6 + k * 0.2)
        assert res.tracks == tracks
        started += [u for u in res.updates if u.phase == "started"]
    assert len(started) == 1
    # Empty detections, by contrast, are evidence of absence: the track coasts, then ends.
    gone = [p.process(Detections.empty(), (640, 360), 11.0 + k * 0.2, t0 + 11.0 + k * 0.2)
            .tracks == [] for k in range(10)]
    assert not gone[0] and gone[-1]


def test_a_person_who_left_ends_on_time_when_detection_is_skipped() -> None:
    """Somebody walks through; detection then runs only on refreshes (nothing moves): the
    missed track still ends max_coast_s after its last match, not after several refreshes,
    so a short walk-through raises no danger-zone violation."""
    p = _pipeline(min_duration_s=3.0)  # danger zone over the whole picture
    t0 = 1_000_000.0
    p.process(_person(100), (640, 360), 0.0, t0)
    p.process(_person(110), (640, 360), 0.2, t0 + 0.2)  # confirmed: 2 detections
    p.process(Detections.empty(), (640, 360), 0.4, t0 + 0.4)  # gone: coasting from here
    coast_s = p.tracker.settings.max_coast_s
    started, last_seen_s = [], 0.0
    for k in range(1, 40):
        t = 0.4 + k * 0.2
        res = p.process(None, (640, 360), t, t0 + t)
        started += [u for u in res.updates if u.phase == "started"]
        if res.tracks:
            last_seen_s = t
    # Last matched at 0.2 s: seen until 0.2 + max_coast_s (1.4 s), then gone for good.
    assert 0.2 + coast_s - 0.2 <= last_seen_s <= 0.2 + coast_s + 1e-6
    assert started == []  # about 1.2 s in the zone, under min_duration_s
