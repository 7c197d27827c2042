"""`sitewarden events tail` and `sitewarden events schema`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from edge.cli import app
from publisher.client import Publisher
from tests.cli_result import assert_clean_exit
from tests.publisher.conftest import BOX, SITE, fast_settings, make_event
from tests.publisher.mosquitto import Mosquitto, free_port

REPO = Path(__file__).resolve().parents[2]


def _site_file(tmp_path: Path, port: int | None) -> Path:
    text = (
        f"site_id: {SITE}\nbox_id: {BOX}\ndetector:\n  model: /nonexistent/model.onnx\n"
        "cameras:\n  - id: cam-1\n    url: /nonexistent/a.mp4\n"
    )
    if port is not None:
        text += f"mqtt:\n  host: 127.0.0.1\n  port: {port}\n  reconnect_initial_s: 0.1\n"
    path = tmp_path / "site.yaml"
    path.write_text(text)
    return path


def test_tail_prints_one_json_line_per_event_for_one_camera(
    broker: Mosquitto, tmp_path: Path,
) -> None:
    cfg = _site_file(tmp_path, broker.port)
    proc = subprocess.Popen(
        [sys.executable, "-m", "edge.cli", "events", "tail", str(cfg), "--camera", "cam-1",
         "--count", "2", "--timeout", "30"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "subscribed to sitewarden/plant-7/edge-01/events/cam-1/+" in line, line
        pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
        pub.start()
        pub.publish_event(make_event(2, camera="cam-2"))  # filtered out by --camera
        # What goes out is the numbered event publish_event returns (sequence 2 and 3).
        want = [pub.publish_event(make_event(i, camera="cam-1")) for i in (1, 3)]
        assert [e.sequence for e in want] == ["2", "3"]
        assert pub.flush(10)
        pub.stop()
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert [json.loads(ln) for ln in lines] == [e.to_wire() for e in want]


def test_tail_errors_are_clear(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["events", "tail", str(_site_file(tmp_path, free_port()))])
    assert_clean_exit(r, 1, "refused the TCP connection")
    r = runner.invoke(app, ["events", "tail", str(_site_file(tmp_path, None))])
    assert_clean_exit(r, 1, "no mqtt section")
    r = runner.invoke(app, ["events", "tail", str(tmp_path / "missing.yaml")])
    assert_clean_exit(r, 1, "file not found")


def test_schema_command_prints_the_event_schema() -> None:
    r = CliRunner().invoke(app, ["events", "schema"])
    assert_clean_exit(r, 0)
    schema = json.loads(r.output)
    assert "ViolationData" in schema["$defs"]
    assert schema["$defs"]["ViolationData"]["properties"]["phase"]["enum"] == [
        "started", "updated", "ended"]
