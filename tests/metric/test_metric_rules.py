"""Metric rules on calibrated cameras: buffer_m, min_distance_m, person_height_m.

Synthetic: a pinhole camera of known pose (tests/calibration/synthetic.py) gives the clicked
floor points and people of known height. Real: the one-by-one clip, calibrated from floor
points of a camera assumed 2.4 m high, tilted 29° down, 800 px focal length — the pose under
which the first person's feet and head land where they are (the same pose then puts the
other visitors at 1.57-1.75 m: the calibration is plausible, not measured).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
import yaml
from shapely.geometry import Polygon

from edge.config import ConfigError, SiteConfig, parse_config
from edge.core.metric import calibration_of, on_the_floor, plausible, zone_specs
from edge.replay import ReplayOptions, run_replay
from models.types import Detections
from tests.calibration.synthetic import SyntheticCamera
from tests.detcache import cached_sessions
from zones.engine import CameraRules
from zones.types import Track

SYNTH = SyntheticCamera()  # 3.5 m high, 45° down, 1920x1080
SYNTH_FLOOR = [[1, -1], [4, -1.5], [1.5, 2.5], [5, 1.5], [3, 0.5], [2, 1], [4, 0]]
SQUARE_M = [[2.0, -0.5], [4.0, -0.5], [4.0, 1.5], [2.0, 1.5]]  # a 2 m square on the floor

ONE_BY_ONE = SyntheticCamera(height_m=2.4, pitch_deg=29, yaw_deg=0, position_xy=(0, 0),
                             hfov_deg=math.degrees(2 * math.atan(384 / 800)),
                             resolution_wh=(768, 432))
ONE_BY_ONE_FLOOR = [[-1, 2.5], [1, 2.5], [-1.2, 4], [1.2, 4], [0, 3.2], [-0.6, 3.6], [0.8, 2.9]]
TABLE = [[0.45, 0.78], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]


def _calibration(cam: SyntheticCamera, floor: list[list[float]], **extra: Any) -> dict[str, Any]:
    img = cam.project(np.array(floor, dtype=np.float64))
    return {"resolution_wh": list(cam.resolution_wh), **extra,
            "pairs": [{"image_norm": [round(float(u), 6), round(float(v), 6)], "ground_m": g}
                      for (u, v), g in zip(img, floor, strict=True)]}


def _site(zones: list[dict[str, Any]], calibration: dict[str, Any] | None,
          url: str = "cam.mp4", model: str = "m.onnx") -> SiteConfig:
    cam: dict[str, Any] = {"id": "cam", "url": url, "analysis_fps": 5}
    if calibration is not None:
        cam["calibration"] = calibration
    doc = {"site_id": "s", "box_id": "b", "timezone": "UTC", "detector": {"model": model},
           "cameras": [cam], "zones": [{"camera": "cam", **z} for z in zones],
           "storage": {"directory": "/tmp/unused", "evidence": {"enabled": False}}}
    return parse_config(yaml.safe_dump(doc))


def _square_zone(**params: Any) -> dict[str, Any]:
    pts = SYNTH.project(np.array(SQUARE_M))
    return {"id": "pit", "kind": "danger_zone",
            "points": [[round(float(u), 6), round(float(v), 6)] for u, v in pts], **params}


def test_buffer_m_grows_the_zone_on_the_floor() -> None:
    cfg = _site([_square_zone(buffer_m=1.0)], _calibration(SYNTH, SYNTH_FLOOR))
    cal = calibration_of(cfg, "cam")
    assert cal is not None
    grown = Polygon(cal.image_polygon_to_ground(zone_specs(cfg, "cam")[0].points_norm))
    # 2x2 m square grown by 1 m: 4 + 4*2 + pi m² (rounded corners, drawn as a polygon).
    assert grown.area == pytest.approx(4 + 8 + math.pi, rel=0.03)
    assert grown.buffer(-1.0).area == pytest.approx(4.0, rel=0.05)


@pytest.mark.parametrize(("feet_m", "counted"), [
    ((3.0, 0.5), True),   # inside
    ((4.9, 0.5), True),   # 0.9 m outside the square
    ((5.2, 0.5), False),  # 1.2 m outside
    ((3.0, 2.55), False),  # 1.05 m outside
])
def test_min_distance_m_counts_people_near_the_zone(
    feet_m: tuple[float, float], counted: bool
) -> None:
    cfg = _site([_square_zone(min_distance_m=1.0, min_duration_s=0)],
                _calibration(SYNTH, SYNTH_FLOOR))
    cal = calibration_of(cfg, "cam")
    assert cal is not None
    rules = CameraRules("cam", zone_specs(cfg, "cam"))
    person = _person_box(SYNTH, feet_m, 1.75)
    tracks = on_the_floor([Track(1, person, 0.9)], cal)
    assert tracks[0].ground_xy_m == pytest.approx(feet_m, abs=0.02)
    state = rules.initial_state()
    state, ups = rules.step(state, tracks, 1.0)
    state, ups2 = rules.step(state, tracks, 2.0)
    assert any(u.phase == "started" for u in ups + ups2) == counted


def _person_box(cam: SyntheticCamera, feet_m: tuple[float, float],
                height_m: float) -> tuple[float, float, float, float]:
    x, y = feet_m
    feet, head = cam.project(np.array([[x, y, 0.0], [x, y, height_m]]))
    half = (feet[1] - head[1]) * 0.2
    return (float(feet[0] - half), float(head[1]), float(feet[0] + half), float(feet[1]))


def test_person_height_drops_what_cannot_be_a_standing_person() -> None:
    cfg = _site([], _calibration(SYNTH, SYNTH_FLOOR, person_height_m=[1.2, 2.2]))
    cal = calibration_of(cfg, "cam")
    assert cal is not None
    w, h = SYNTH.resolution_wh
    boxes = [_person_box(SYNTH, (2.5, -0.8), 1.75),  # a person: kept
             _person_box(SYNTH, (2.5, -0.8), 2.5),   # a poster on a wall: dropped
             _person_box(SYNTH, (2.0, -1.0), 0.6),   # a dog / a reflection: dropped
             (0.4, 0.0, 0.5, 0.3)]                   # cut by the top edge: cannot judge, kept
    px = np.array(boxes) * np.array([w, h, w, h])
    dets = Detections(px.astype(np.float32), np.full(len(boxes), 0.9, np.float32))
    kept = plausible(dets, (w, h), cal, (1.2, 2.2))
    assert len(kept) == 2
    np.testing.assert_allclose(kept.boxes_xyxy_px, px[[0, 3]].astype(np.float32))


def test_metres_need_a_calibration_and_a_bad_one_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"zones\[0\]\.buffer_m: metres need the camera's"):
        _site([_square_zone(buffer_m=1.0)], None)
    line = {"resolution_wh": [1920, 1080], "pairs": [
        {"image_norm": [0.1 * i, 0.5], "ground_m": [float(i), 0.0]} for i in range(1, 6)]}
    with pytest.raises(ConfigError, match=r"cameras\[0\]\.calibration: .*collinear"):
        _site([], line)


# ------------------------------------------------------------------ a real clip


def _real(assets: Path, zones: list[dict[str, Any]], **cal: Any) -> SiteConfig:
    return _site(zones, _calibration(ONE_BY_ONE, ONE_BY_ONE_FLOOR, **cal),
                 url=str(assets / "video" / "one-by-one-person-detection.mp4"),
                 model=str(assets / "models" / "yolox_nano.onnx"))


def _violations(cfg: SiteConfig, source: Path, until_s: float) -> list[tuple[float, float]]:
    res = run_replay(cfg, ReplayOptions("cam", source, until_s=until_s), cached_sessions(cfg),
                     [])
    spans: dict[str, list[float]] = {}
    for e in res.events:
        v = e.violation
        if v is not None and v.phase in ("started", "ended"):
            spans.setdefault(v.violation_id, []).append(v.source_time_s)
    return [(s[0], s[-1]) for s in spans.values()]


@pytest.mark.slow
def test_real_clip_people_are_plausible_and_the_size_check_keeps_every_alarm(
    assets: Path
) -> None:
    clip = assets / "video" / "one-by-one-person-detection.mp4"
    post = {"id": "table", "kind": "duty_post", "absence_s": 4.5, "return_s": 2,
            "points": TABLE}
    plain = _violations(_real(assets, [post]), clip, 55)
    checked = _violations(_real(assets, [post], person_height_m=[1.2, 2.2]), clip, 55)
    assert [round(s) for s, _ in plain] == [5, 49]
    assert checked == plain


@pytest.mark.slow
def test_real_clip_buffer_and_distance_widen_the_danger_zone(assets: Path) -> None:
    clip = assets / "video" / "one-by-one-person-detection.mp4"
    zone = {"id": "table", "kind": "danger_zone", "min_duration_s": 1, "clear_s": 2,
            "points": TABLE}
    plain = _violations(_real(assets, [zone]), clip, 50)
    grown = _violations(_real(assets, [{**zone, "buffer_m": 0.5}]), clip, 50)
    near = _violations(_real(assets, [{**zone, "min_distance_m": 0.5}]), clip, 50)
    # People walk up to the table and leave it: with half a metre around it they count
    # earlier and longer, never less.
    assert plain and grown and near
    for wider in (grown, near):
        assert sum(e - s for s, e in wider) > sum(e - s for s, e in plain)
        assert wider[0][0] <= plain[0][0]
    assert shapely.Polygon(TABLE).area > 0  # (the zone is the golden replay's table)
