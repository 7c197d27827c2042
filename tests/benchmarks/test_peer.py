"""benchmarks/peer.py (the hand-written pipeline channels.py compares with) and the parts of
benchmarks/channels.py that report it: drop accounting, zone timers, comparison, and runs on
a real RTSP server (the runs need the `peer` extra: pip install -e ".[peer]")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.channels import _comparison, _peer_breakdown, site_zones
from benchmarks.peer import LiveClock, SlotCounter, ZoneRule

REPO = Path(__file__).resolve().parents[2]
PEER_EXTRA = 'needs the peer extra (pip install -e ".[peer]")'


# ---------------------------------------------------------------- clock and drops


def test_clock_takes_the_least_delayed_frame_and_sees_lag() -> None:
    clock = LiveClock()
    clock.observe(0.0, 100.5)  # buffered while the session opened: late
    clock.observe(1.0, 100.9)  # live
    assert clock.sent(1.0) == pytest.approx(100.9)
    clock.observe(2.0, 103.4)  # reached 1.5 s late: lag does not move the anchor
    assert 103.4 - clock.sent(2.0) == pytest.approx(1.5)


def test_clock_reanchors_when_the_stream_restarts() -> None:
    clock = LiveClock()
    clock.observe(50.0, 100.0)
    assert clock.observe(0.0, 101.0) is True
    assert clock.sent(0.0) == pytest.approx(101.0)


def test_every_slot_served_on_time_is_no_drop() -> None:
    slots = SlotCounter(5.0)
    for k in range(50):
        slots.analysed(0.1 + 0.2 * k, lateness_s=0.05)
    assert slots.drops == 0


def test_a_stray_first_timestamp_costs_at_most_one_drop() -> None:
    # a stream cut at a key frame: the first frame's pts is 0, the others run at +0.1 s
    slots = SlotCounter(5.0)
    slots.analysed(0.0, 0.0)
    for k in range(1, 50):
        slots.analysed(0.1 + 0.2 * k, 0.0)
    assert slots.drops <= 1


def test_late_frames_and_passed_slots_are_drops() -> None:
    slots = SlotCounter(5.0)
    slots.analysed(0.0, 0.0)
    slots.analysed(0.2, 0.25)  # reached more than one period after it was sent
    slots.analysed(0.8, 0.0)  # 0.4 and 0.6 passed with nothing analysed
    slots.analysed(0.84, 0.0)  # a second frame in a slot already served
    assert slots.drops == 3
    slots.restart()
    slots.analysed(0.0, 0.0)
    assert slots.drops == 3


# ---------------------------------------------------------------- zone timers


class CountingZone:
    """Stands in for sv.PolygonZone: trigger() takes the count it is given."""

    def __init__(self) -> None:
        self.current_count = 0

    def trigger(self, count: int) -> None:
        self.current_count = count


def test_danger_zone_fires_once_after_its_hold() -> None:
    rule = ZoneRule("d", "danger_zone", CountingZone(), limit=0, hold_s=1.0)
    for k, count in enumerate([0, 1, 1, 1, 1, 1, 1, 1]):
        rule.step(count, 0.2 * k)
    assert rule.active and rule.alarms == 1
    rule.step(0, 2.0)
    assert not rule.active and rule.alarms == 1


def test_duty_post_fires_on_absence_only() -> None:
    rule = ZoneRule("p", "duty_post", CountingZone(), limit=1, hold_s=0.5)
    for k in range(10):
        rule.step(1, 0.2 * k)
    assert rule.alarms == 0
    for k in range(10, 14):
        rule.step(0, 0.2 * k)
    assert rule.alarms == 1


# ---------------------------------------------------------------- report


def _trial(n: int, ok: bool, runtime: float, **extra: Any) -> dict[str, Any]:
    return {"cameras": n, "sustained": ok, "runtime_cpu_cores": runtime,
            "rtsp_server_cpu_cores": 0.1, **extra}


def test_comparison_sets_counts_and_cpu_per_camera_side_by_side() -> None:
    sw = {"sustained_cameras": 10, "trials": [_trial(10, True, 1.8), _trial(12, False, 2.0)]}
    peer = {"sustained_cameras": 4,
            "trials": [_trial(4, True, 1.2, cpu_cores_by_phase={"detect": 0.2})]}
    cmp = _comparison(sw, peer)
    assert cmp["sitewarden_over_peer"] == 2.5
    assert cmp["runtime_cpu_cores_per_camera"] == {"sitewarden": 0.18, "peer": 0.3}
    assert _peer_breakdown(peer)["by phase"] == {"detect": 0.2}
    none = {"sustained_cameras": 0, "trials": [_trial(1, False, 0.9)]}
    assert _comparison(sw, none)["sitewarden_over_peer"] is None
    assert _peer_breakdown(none) == {}


# ---------------------------------------------------------------- runs (real RTSP)


def _require_peer_extra() -> None:
    """CI installs the extra (.ci/run): a missing one fails, it never skips."""
    try:
        import supervision  # noqa: F401
    except ImportError:
        pytest.fail(PEER_EXTRA)


@pytest.mark.slow
def test_peer_trial_analyses_every_camera(assets: Path) -> None:
    _require_peer_extra()
    from benchmarks.channels import peer_trial

    r = peer_trial("visitors", 2, warmup_s=3.0, window_s=3.0)
    assert r["pipeline"] == "peer" and r["cameras"] == 2 and r["min_fps_analysed"] > 2
    assert r["min_fps_in"] > 15 and r["cpu_cores_by_phase"]["detect"] > 0


@pytest.mark.slow
def test_peer_zones_are_the_benchmarks_zones_in_pixels(assets: Path) -> None:
    _require_peer_extra()
    import supervision as sv

    from benchmarks.peer import make_rules

    rules = make_rules(site_zones(1), (640, 360))
    assert [r.kind for r in rules] == ["danger_zone", "duty_post"]
    inside = sv.Detections(xyxy=np.array([[20.0, 100.0, 120.0, 300.0]], np.float32),
                           confidence=np.array([0.9], np.float32), class_id=np.array([0]))
    rules[0].step(inside, 0.0)
    rules[1].step(inside, 0.0)
    assert rules[0].zone.current_count == 1  # bottom centre (70, 300) in the danger zone
    assert rules[1].zone.current_count == 0


@pytest.mark.slow
def test_channels_smoke_reports_every_part(assets: Path) -> None:
    """channels.py --smoke end to end, the peer included."""
    _require_peer_extra()
    peer = "--peer"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    res = subprocess.run([sys.executable, str(REPO / "benchmarks" / "channels.py"), "--smoke",
                          "--kinds", "visitors", "--smoke-cameras", "1", peer],
                         capture_output=True, text=True, timeout=600, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads(res.stdout)
    entry = report["kinds"]["visitors"]
    assert report["smoke"] is True and "alarm_latency" not in report
    assert entry["trials"][0]["min_fps_analysed"] > 2 and "error" not in entry["trials"][0]
    if peer == "--peer":
        assert "error" not in entry["peer"]["trials"][0]
        assert entry["comparison"]["peer_cameras"] in (0, 1)
