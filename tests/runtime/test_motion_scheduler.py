"""Motion gating on real footage, and the shared inference scheduler's fairness and drops."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from edge.core.frames import Frame
from edge.health import small_grey
from edge.runtime.camera import CameraRunner
from edge.runtime.motion import MotionGate
from edge.runtime.scheduler import InferenceScheduler
from models.types import Detections
from tests.rtsp_server import wait_until
from tests.runtime.helpers import camera, site, to_config

FPS = 5


def _greys(path: Path, every: int) -> list[np.ndarray]:
    out = []
    with av.open(str(path)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i % every == 0:
                out.append(small_grey(np.asarray(f.to_ndarray(format="bgr24"), np.uint8)))
    return out


def _gate(greys: list[np.ndarray], gate: MotionGate) -> list[float]:
    """Times at which detection ran."""
    ran = []
    for i, g in enumerate(greys):
        t = i / FPS
        if gate.should_detect(g, t):
            gate.detected(g, t)
            ran.append(t)
    return ran


def test_motion_gate_skips_still_stretches_but_refreshes(assets: Path) -> None:
    greys = _greys(assets / "video" / "one-by-one-person-detection.mp4", every=2)
    gate = MotionGate(True, refresh_s=2.0, min_changed_frac=0.002)
    ran = _gate(greys, gate)
    skipped = gate.counters.skipped / len(greys)
    # The clip has empty-room stretches between visitors: a good share is skipped...
    assert skipped > 0.2
    # ...and never longer than refresh_s without a detection.
    assert max(np.diff(ran)) <= 2.0 + 1e-9


def test_motion_gate_runs_on_busy_scene_and_when_off(assets: Path) -> None:
    greys = _greys(assets / "video" / "vtest_480x360.mp4", every=2)[:150]
    busy = MotionGate(True, refresh_s=2.0)
    _gate(greys, busy)
    assert busy.counters.skipped / len(greys) < 0.1  # people walk all the time
    off = MotionGate(False)
    assert len(_gate(greys, off)) == len(greys)


def test_still_person_is_seen_every_refresh() -> None:
    still = np.full((180, 320), 100, np.uint8)
    still[60:160, 150:180] = 30  # someone standing, not moving
    gate = MotionGate(True, refresh_s=2.0)
    ran = _gate([still] * 50, gate)  # 10 s
    gaps = np.diff(ran)
    # Every refresh_s at the latest (a little earlier, jittered, so cameras spread out).
    assert len(ran) >= 5 and gaps.max() <= 2.0 + 1e-9 and gaps.min() >= 1.6 - 1e-9


class SlowDetector:
    """Stands in for a detector that is slower than the cameras' frame rate."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.calls = 0

    def detect(self, image_bgr: Any) -> Detections:
        self.calls += 1
        time.sleep(self.delay_s)
        return Detections.empty()

    def detect_batch(self, images: Any) -> list[Detections]:
        return [self.detect(im) for im in images]


def _runner(assets: Path, tmp: Path, cam_id: str) -> CameraRunner:
    cfg = to_config(site(assets, tmp, [camera(cam_id, "unused.mp4")]))
    return CameraRunner(cfg, cam_id, emit=lambda e: None, set_status=lambda *a: None)


def _feed(runner: CameraRunner, n: int, stop: threading.Event) -> None:
    img = np.random.default_rng(0).integers(0, 255, (90, 160, 3), dtype=np.uint8)
    for i in range(n):
        if stop.is_set():
            return
        t = time.time()
        runner.slot.put(Frame(runner.camera_id, i + 1, img, i / 20, t, time.monotonic(),
                              (160, 90)))
        time.sleep(0.01)


def test_scheduler_never_backlogs_and_serves_every_camera(assets: Path, tmp_path: Path) -> None:
    runners = [_runner(assets, tmp_path, f"c{i}") for i in range(3)]
    analysed: dict[str, list[int]] = {r.camera_id: [] for r in runners}
    for r in runners:
        orig = r.finish

        def finish(prep: Any, dets: Any, r: CameraRunner = r, orig: Any = orig) -> None:
            analysed[r.camera_id].append(prep.frame.seq)
            orig(prep, dets)

        r.finish = finish  # type: ignore[method-assign,assignment]
    det = SlowDetector(0.03)
    sched = InferenceScheduler([det])
    for r in runners:
        sched.add(r)
    sched.start()
    stop = threading.Event()
    feeders = [threading.Thread(target=_feed, args=(r, 100, stop)) for r in runners]
    for f in feeders:
        f.start()
    for f in feeders:
        f.join()
    assert wait_until(lambda: all(r.slot.peek_received_mono_s() is None and not r.busy.is_set()
                                  for r in runners), 5)
    sched.stop()
    assert sched.join(5)
    for r in runners:
        seqs = analysed[r.camera_id]
        assert len(seqs) >= 5  # every camera got its turns
        assert seqs == sorted(seqs)  # in order
        assert seqs[-1] == 100  # the newest frame is analysed, not an old one
        # Frames the detector could not keep up with were dropped and counted, not queued.
        assert r.slot.drops == 100 - len(seqs)
        assert r.slot.drops > 0


def test_a_failing_camera_does_not_stop_the_others(assets: Path, tmp_path: Path) -> None:
    good, bad = _runner(assets, tmp_path, "good"), _runner(assets, tmp_path, "bad")

    def broken(prep: Any, dets: Any) -> None:
        raise RuntimeError("boom")

    bad.finish = broken  # type: ignore[method-assign,assignment]
    sched = InferenceScheduler([SlowDetector(0.0)])
    sched.add(good)
    sched.add(bad)
    sched.start()
    stop = threading.Event()
    threads = [threading.Thread(target=_feed, args=(r, 30, stop)) for r in (good, bad)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wait_until(lambda: good.counters.analysed >= 10 and bad.counters.errors >= 10, 5)
    sched.stop()
    assert sched.join(5)
