"""Config hot reload, and `sitewarden run` as a process (signals, clean exit)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.config import load_config
from tests.rtsp_server import wait_until
from tests.runtime.helpers import camera, running, site, whole_frame_zone

VTEST = "video/vtest_480x360.mp4"


def _write(path: Path, doc: dict[str, Any]) -> None:
    # A new mtime even on coarse file systems, so the watcher sees every edit.
    old = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(yaml.safe_dump(doc))
    os.utime(path, ns=(old + 2_000_000_000, old + 2_000_000_000))


def test_zones_reload_and_a_bad_edit_is_rejected(assets: Path, tmp_path: Path) -> None:
    cfg_path = tmp_path / "site.yaml"
    # A file source (looped, paced like a camera) is enough to drive the rules here.
    doc = site(assets, tmp_path, [camera("cam", str(assets / VTEST))],
               [whole_frame_zone("yard", "cam", min_duration_s=0.5)])
    _write(cfg_path, doc)
    with running(load_config(cfg_path), cfg_path) as run:
        assert wait_until(lambda: run.of("violation.danger_zone", "cam/yard"), 20)
        watcher = run.sup.watcher
        assert watcher is not None
        bad = dict(doc, zones=[whole_frame_zone("yard", "cam") | {"points": [[0, 0], [1, 1]]}])
        _write(cfg_path, bad)
        assert wait_until(lambda: watcher.rejected == 1, 5)
        assert watcher.last_error and "zones[0].points" in watcher.last_error
        assert run.sup.health()["config"]["rejected"] == 1
        # The old zone keeps running.
        assert [z.id for z in run.sup.cfg.zones] == ["yard"]
        good = dict(doc, zones=[whole_frame_zone("yard2", "cam", min_duration_s=0.5)])
        _write(cfg_path, good)
        assert wait_until(lambda: watcher.reloads == 1, 5)
        assert wait_until(lambda: run.of("violation.danger_zone", "cam/yard2"), 20)
    yard_phases = [e["data"]["phase"] for e in run.of("violation.danger_zone", "cam/yard")]
    assert "ended" in yard_phases  # the removed zone's violation was closed
    assert watcher.last_error is None


@pytest.mark.slow
def test_run_command_stops_cleanly_on_sigterm(assets: Path, tmp_path: Path) -> None:
    cfg_path = tmp_path / "site.yaml"
    events = tmp_path / "events.jsonl"
    doc = site(assets, tmp_path, [camera("cam", str(assets / VTEST))],
               [whole_frame_zone("yard", "cam", min_duration_s=0.5)])
    _write(cfg_path, doc)
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "run", str(cfg_path), "--events-out", str(events),
         "--no-evidence"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_until(lambda: events.exists() and "danger_zone" in events.read_text(), 40)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(15)
        took = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    out = proc.stdout.read() if proc.stdout else ""
    assert rc == 0, out
    assert took < 5, out
    assert "Traceback" not in out
    types = [json.loads(line)["type"] for line in events.read_text().splitlines()]
    assert "sitewarden.camera.online" in types
    assert "sitewarden.violation.danger_zone" in types


def test_run_command_reports_a_bad_config_without_traceback(tmp_path: Path) -> None:
    cfg_path = tmp_path / "site.yaml"
    cfg_path.write_text("site_id: a\nbox_id: b\ndetector: {model: x.onnx}\ncameras: []\n")
    res = subprocess.run([sys.executable, "-m", "edge.cli", "run", str(cfg_path)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1
    assert "cameras" in res.stderr and "Traceback" not in res.stderr
