"""`sitewarden run` end to end: a real RTSP camera, a real Mosquitto, evidence on.

What the box promises, seen from the platform's side (a subscriber on the broker, an S3
bucket on moto's server): violations start and end, finished evidence is announced and pushed
to the object store under the keys the announcement names, the camera's retained status is
there; SIGTERM leaves the retained box status `offline` and writes the clips still open;
events the broker never acknowledged (it was down) are delivered after a restart.

The camera plays 40 s of one-by-one-person-detection.mp4 (see test_golden_replay.py): the
table is empty 0-6.4 s (duty-post alarm at ~4.6 s) and someone stands at it 6.4-19 s and
23.2-44 s (danger-zone alarms from ~7.6 s and ~24.2 s).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.evidence.s3kit import KEY_ENV, SECRET_ENV, MotoS3, bucket, s3
from tests.publisher.conftest import Collector
from tests.publisher.mosquitto import Mosquitto
from tests.rtsp_server import RtspServer, free_port, prepare, wait_until
from tests.runtime.runkit import BoxProcess, stop_box

pytestmark = pytest.mark.slow
__all__ = ["bucket", "s3"]  # fixtures
TABLE = [[0.45, 0.78], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]
ROOT = "sitewarden/plant-7/edge-01"


def _site(path: Path, assets: Path, camera_url: str, port: int, store: Path,
          upload: dict[str, Any] | None = None, http_port: int | None = None) -> Path:
    doc = {
        "site_id": "plant-7", "box_id": "edge-01", "timezone": "Asia/Shanghai",
        "detector": {"model": str(assets / "models" / "yolox_nano.onnx")},
        "cameras": [{"id": "desk", "url": camera_url, "analysis_fps": 5,
                     "stream": {"open_timeout_s": 3, "read_timeout_s": 3,
                                "reconnect_initial_s": 0.2, "reconnect_max_s": 1}}],
        "zones": [
            {"id": "post", "camera": "desk", "kind": "duty_post", "absence_s": 4.5,
             "return_s": 2, "points": TABLE},
            {"id": "table", "camera": "desk", "kind": "danger_zone", "min_duration_s": 1,
             "clear_s": 2, "points": TABLE},
        ],
        "mqtt": {"host": "127.0.0.1", "port": port, "reconnect_initial_s": 0.1,
                 "reconnect_max_s": 0.5, "keepalive_s": 5},
        "storage": {"directory": str(store), "min_free_bytes": 0,
                    "evidence": {"pre_s": 2, "post_s": 2, "lookback_s": 4},
                    **({"upload": upload} if upload else {})},
        **({"http": {"host": "127.0.0.1", "port": http_port}} if http_port else {}),
    }
    path.write_text(yaml.safe_dump(doc))
    return path


@contextmanager
def _box(site: Path, events_out: Path) -> Iterator[BoxProcess]:
    proc = BoxProcess([sys.executable, "-m", "edge.cli", "run", str(site),
                       "--events-out", str(events_out)])
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _phases(events: list[dict[str, Any]], zone: str) -> list[str]:
    return [e["data"]["phase"] for e in events
            if e["type"].startswith("sitewarden.violation.") and e["data"]["zone_id"] == zone]


def _evidence_ready(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"].startswith("sitewarden.violation.")
            and e["data"].get("reason") == "evidence_ready"]


def _retained(port: int, topic: str) -> dict[str, Any]:
    c = Collector(port, topic, client_id="retained-check")
    try:
        assert c.wait_for(lambda ms: any(m.retain for m in ms), 10), topic
        return next(m.json() for m in c.snapshot() if m.retain)
    finally:
        c.close()


def test_run_publishes_violations_evidence_and_status_and_keeps_them_across_sigterm(
    assets: Path, tmp_path: Path, s3: MotoS3, bucket: str
) -> None:
    clip = prepare(assets / "video" / "one-by-one-person-detection.mp4", "e2e", duration_s=40)
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    sub = Collector(broker.port, f"{ROOT}/#", client_id="platform")
    upload = {"bucket": bucket, "endpoint_url": s3.url, "access_key_env": KEY_ENV,
              "secret_key_env": SECRET_ENV, "retry_initial_s": 0.05, "retry_max_s": 0.5}
    try:
        _first_run(assets, tmp_path, clip, broker, sub, upload,
                   lambda: _evidence_is_in_the_object_store(sub, s3, bucket))
        _undelivered_survive_a_restart(assets, tmp_path, clip, broker, sub)
    finally:
        sub.close()
        broker.stop()


def _first_run(assets: Path, tmp: Path, clip: Path, broker: Mosquitto, sub: Collector,
               upload: dict[str, Any], check_upload: Callable[[], None]) -> None:
    out = tmp / "run1.jsonl"
    http_port = free_port()
    with RtspServer({"desk": clip}) as cam, \
            _box(site := _site(tmp / "site1.yaml", assets, cam.url("desk"), broker.port,
                               tmp / "store1", upload, http_port), out) as proc:
        # The post alarm starts and ends, its clip is announced; the table alarm starts.
        assert wait_until(lambda: _phases(sub.events(), "post")[:2] == ["started", "ended"]
                          and _evidence_ready(sub.events())
                          and "started" in _phases(sub.events(), "table"), 60), \
            (_lines(out), proc.poll())
        cam_status = _retained(broker.port, f"{ROOT}/cameras/desk/status")
        assert cam_status["state"] == "online"
        check_upload()
        _box_status_tells_what_runs(broker.port, site)
        _console_shows_the_violations(proc, http_port)
        assert "ended" not in _phases(sub.events(), "table")  # still open at SIGTERM
        stop_box(proc)
    ready = _evidence_ready(sub.events())
    table_started = next(e for e in sub.events() if e["data"].get("zone_id") == "table")
    table_id = table_started["data"]["violation_id"]
    # The clip of the violation open at SIGTERM was written and announced before exit.
    assert any(e["data"]["violation_id"] == table_id for e in ready), ready
    for e in ready:
        clip_ref = e["data"]["evidence"]["clip"]
        assert clip_ref is not None and Path(clip_ref["path"]).stat().st_size > 0
    assert [e["id"] for e in _lines(out)] == _unique_ids(sub.events())
    status = _retained(broker.port, f"{ROOT}/status")
    assert status["state"] == "offline" and status.get("reason") == "stopped"


def _box_status_tells_what_runs(port: int, site: Path) -> None:
    """The centre's fleet board shows version, model and the site file's version."""
    status = _retained(port, f"{ROOT}/status")
    assert status["state"] == "online"
    assert status["model"] == "yolox_nano" and status["version"]
    assert status["config_version"] == hashlib.sha256(site.read_bytes()).hexdigest()[:12]


def _console_shows_the_violations(proc: BoxProcess, http_port: int) -> None:
    """The console the box serves: the first admin's printed password logs in, the local
    store holds the violations, and the zone editor is mounted for the camera."""
    assert wait_until(lambda: proc.admin_password() is not None, 10), proc.output()
    with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10) as web:
        assert web.get("/health").status_code == 200
        assert web.get("/api/violations").status_code == 401
        login = web.post("/api/login", json={"username": "admin",
                                              "password": proc.admin_password()})
        assert login.status_code == 200, login.text
        assert wait_until(lambda: {"post", "table"} <= {
            v["zone_id"] for v in web.get("/api/violations").json()["items"]}, 10)
        editor = web.get("/zones")
        assert editor.status_code == 303 and editor.headers["location"] == "/cameras/desk/zones"
        page = web.get("/cameras/desk/zones")
        assert page.status_code == 200 and 'data-testid="zone-canvas"' in page.text


def _evidence_is_in_the_object_store(sub: Collector, s3: MotoS3, bucket: str) -> None:
    """The first violation's announced files reach the bucket under their keys, with their
    sha256 (what is still queued at SIGTERM stays in the durable queue for the next start)."""
    refs = [ref for e in _evidence_ready(sub.events())
            for ref in (e["data"]["evidence"].get("snapshot"), e["data"]["evidence"].get("clip"))
            if ref]
    assert refs and all(r.get("key") for r in refs), refs
    first = {r["key"]: r["sha256"] for r in refs[:2]}  # the first violation's: surely up
    assert wait_until(lambda: set(first) <= set(s3.objects(bucket)), 20), \
        (first, list(s3.objects(bucket)))
    objects = s3.objects(bucket)
    assert all(objects[k]["sha256"] == sha for k, sha in first.items())


def _undelivered_survive_a_restart(
    assets: Path, tmp: Path, clip: Path, broker: Mosquitto, sub: Collector
) -> None:
    broker.stop()
    out = tmp / "run2.jsonl"
    site = tmp / "site2.yaml"
    with RtspServer({"desk": clip}) as cam:
        _site(site, assets, cam.url("desk"), broker.port, tmp / "store2")
        with _box(site, out) as proc:
            # Events happen while the broker is down: they wait in the outbox.
            assert wait_until(lambda: "started" in _phases(_lines(out), "table"), 60), \
                _lines(out)
            stop_box(proc)
    pending = [e["id"] for e in _lines(out)]
    assert pending and not set(pending) & set(_unique_ids(sub.events()))
    broker.start()
    with RtspServer({"desk": clip}) as cam:
        _site(site, assets, cam.url("desk"), broker.port, tmp / "store2")
        with _box(site, tmp / "run3.jsonl") as proc:
            assert wait_until(lambda: set(pending) <= set(_unique_ids(sub.events())), 30), \
                (pending, _unique_ids(sub.events()))
            stop_box(proc)


def _unique_ids(events: list[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for e in events:
        if e["id"] not in seen:
            seen.append(e["id"])
    return seen
