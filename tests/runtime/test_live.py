"""The live runtime against a real RTSP server on loopback, with the real YOLOX-nano model."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from edge.web.box import start_console
from tests.rtsp_server import RtspServer, wait_until
from tests.runtime.helpers import camera, running, site, to_config, whole_frame_zone

pytestmark = pytest.mark.slow


def test_several_cameras_with_health_and_metrics_over_http(
    assets: Path, tmp_path: Path, rtsp: RtspServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SITEWARDEN_HTTP_TOKEN", "secret")  # the machine clients' bearer token
    cams = [camera("gate", rtsp.url("vtest")), camera("hall", rtsp.url("onebyone")),
            camera("floor", rtsp.url("worker"), substream_url=rtsp.url("worker"))]
    doc = site(assets, tmp_path, cams, [whole_frame_zone("yard", "gate", min_duration_s=0.5)],
               http={"port": 0})
    cfg = to_config(doc)
    with running(cfg, evidence=True) as run:
        assert run.sup.local_store is not None and run.sup.local_store.store is not None
        http = start_console(cfg, run.sup, run.sup.local_store.store)
        try:
            assert wait_until(lambda: len(run.of("camera.online")) == 3, 20)
            assert wait_until(lambda: all(run.stats(c)["frames_analysed"] >= 10
                                          for c in ("gate", "hall", "floor")), 20)
            # vtest always has people in view: the whole-frame danger zone fires.
            assert wait_until(lambda: run.of("violation.danger_zone", "gate/yard"), 15)
            base = f"http://127.0.0.1:{http.port}"
            anonymous = json.load(urllib.request.urlopen(base + "/health"))  # open to all
            health = json.load(urllib.request.urlopen(urllib.request.Request(
                base + "/health", headers={"Authorization": "Bearer secret"})))
            with pytest.raises(urllib.error.HTTPError, match="401"):
                urllib.request.urlopen(base + "/metrics")
            req = urllib.request.Request(base + "/metrics",
                                         headers={"Authorization": "Bearer secret"})
            metrics = urllib.request.urlopen(req).read().decode()
            floor = next(r for r in run.sup.runners if r.camera_id == "floor")
            # The main stream (not decoded) feeds the evidence ring with its packets.
            assert floor.evidence is not None
            assert wait_until(lambda: floor.evidence.stats.snapshot()["packets"] > 20, 10)
            assert floor.source.main_reader is not None
            assert floor.source.main_reader.counters.frames == 0
        finally:
            http.stop()
    assert health["status"] == "ok" and len(health["cameras"]) == 3
    # anyone: the verdict and the states, not the errors, addresses and counters behind them
    assert anonymous["status"] == "ok" and set(anonymous) == {
        "status", "site_id", "box_id", "parts", "cameras"}
    assert {c["camera_id"]: c["state"] for c in anonymous["cameras"]} == {
        "gate": "online", "hall": "online", "floor": "online"}
    assert all(set(c) == {"camera_id", "state"} for c in anonymous["cameras"])
    gate = next(c for c in health["cameras"] if c["camera_id"] == "gate")
    assert gate["state"] == "online" and gate["fps_in"] > 5 and gate["inference_ms"] > 0
    assert 0 <= gate["last_frame_age_s"] < 2
    assert 'sitewarden_camera_frames_analysed_total{camera="hall"}' in metrics
    assert 'sitewarden_camera_state{camera="floor",state="online"} 1.0' in metrics
    ev = run.of("violation.danger_zone", "gate/yard")[0]
    assert ev["data"]["phase"] == "started" and ev["data"]["objects"]


def test_server_restart_gives_offline_then_online_and_detection_resumes(
    assets: Path, tmp_path: Path, own_rtsp: RtspServer
) -> None:
    cfg = to_config(site(assets, tmp_path, [camera("cam", own_rtsp.url("cam"))]))
    with running(cfg) as run:
        assert wait_until(lambda: run.stats("cam")["frames_analysed"] >= 5, 20)
        own_rtsp.stop()
        assert wait_until(lambda: run.of("camera.offline"), 15)
        analysed_while_down = run.stats("cam")["frames_analysed"]
        own_rtsp.start()
        assert wait_until(lambda: len(run.of("camera.online")) == 2, 20)
        assert wait_until(lambda: run.stats("cam")["frames_analysed"]
                          >= analysed_while_down + 10, 15)
        stats = run.stats("cam")
    offline = run.of("camera.offline")[0]["data"]
    assert offline["camera_id"] == "cam" and offline["reason"]
    assert stats["reconnects"] >= 1 and stats["state"] == "online"


def test_frozen_stream_raises_tampered_and_zones_stop_being_watched(
    assets: Path, tmp_path: Path, rtsp: RtspServer
) -> None:
    cams = [camera("cam", rtsp.url("frozen"))]
    zones = [whole_frame_zone("post", "cam", kind="duty_post", absence_s=1, return_s=1)]
    cfg = to_config(site(assets, tmp_path, cams, zones))
    with running(cfg) as run:
        assert wait_until(lambda: run.of("camera.tampered"), 20)
        time.sleep(0.5)
        analysed = run.stats("cam")["frames_analysed"]
    data = run.of("camera.tampered")[0]["data"]
    assert data["reason"] == "frozen" and data["unwatched_zones"] == ["post"]
    assert analysed > 0
    # The frozen picture (people standing in it) must not look like an abandoned post.
    started = [e for e in run.of("violation.duty_post") if e["data"]["phase"] == "started"]
    assert not started


def test_unanswered_url_goes_offline_and_does_not_delay_other_cameras(
    assets: Path, tmp_path: Path, rtsp: RtspServer, silent_url: str
) -> None:
    cams = [camera("dead", silent_url), camera("live", rtsp.url("vtest"))]
    with running(to_config(site(assets, tmp_path, cams))) as run:
        assert wait_until(lambda: run.of("camera.offline", "dead"), 10)
        assert wait_until(lambda: run.stats("live")["frames_analysed"] >= 15, 15)
        dead = run.stats("dead")
    assert dead["state"] == "offline" and dead["frames_in"] == 0
    assert not run.of("camera.offline", "live")


def test_corrupt_stream_keeps_being_analysed(
    assets: Path, tmp_path: Path, rtsp: RtspServer
) -> None:
    with running(to_config(site(assets, tmp_path, [camera("bad", rtsp.url("corrupt"))]))) as run:
        assert wait_until(lambda: run.stats("bad")["decode_errors"]
                          + run.stats("bad")["corrupt_frames"] > 0, 20)
        n = run.stats("bad")["frames_analysed"]
        assert wait_until(lambda: run.stats("bad")["frames_analysed"] > n + 10, 15)
    assert run.stats("bad")["analysis_errors"] == 0


def test_shutdown_while_reconnecting_is_prompt(
    assets: Path, tmp_path: Path, silent_url: str, refused_url: str
) -> None:
    cams = [camera("a", silent_url), camera("b", refused_url)]
    cfg = to_config(site(assets, tmp_path, cams))
    with running(cfg) as run:
        assert wait_until(lambda: run.sup.runners[1].source.detect_reader.counters.failures
                          >= 2, 10)
        t0 = time.monotonic()
        run.sup.stop()
        run.sup.close(timeout_s=3.0)
        took = time.monotonic() - t0
    assert took < 4.0
