"""`replay --publish` delivers the replay's events to a real Mosquitto, in order."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from edge.cli import app
from tests.publisher.conftest import Collector
from tests.publisher.mosquitto import MOSQUITTO, Mosquitto

pytestmark = pytest.mark.assets


@pytest.fixture
def broker(tmp_path: Path) -> object:
    if not (shutil.which("mosquitto") or Path(MOSQUITTO).exists()):
        pytest.skip("mosquitto not installed (Debian package mosquitto)")
    b = Mosquitto(tmp_path / "broker")
    b.start()
    yield b
    b.kill()


def test_replay_publish_sends_every_event(tmp_path: Path, assets: Path, broker: Mosquitto) -> None:
    doc = {
        "site_id": "plant-7",
        "box_id": "edge-01",
        "timezone": "UTC",
        "detector": {"model": str(assets / "models" / "yolox_nano.onnx")},
        "cameras": [{"id": "plaza", "url": str(assets / "video" / "vtest_480x360.mp4"),
                     "analysis_fps": 2}],
        "zones": [{"id": "lawn", "camera": "plaza", "kind": "danger_zone", "clear_s": 3,
                   "points": [[0, 0.54], [0.35, 0.62], [0.55, 0.78], [0.75, 0.87],
                              [1.0, 0.95], [1, 1], [0, 1]]}],
        "mqtt": {"host": "127.0.0.1", "port": broker.port, "topic_prefix": "sw"},
        "storage": {"directory": str(tmp_path / "store")},
    }
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(doc))
    collector = Collector(broker.port, "sw/#", "replay-test")
    try:
        out = tmp_path / "events.jsonl"
        res = CliRunner().invoke(
            app, ["replay", str(site), "--camera", "plaza", "--publish", "--events-out", str(out)]
        )
        assert res.exit_code == 0, res.output
        written = [json.loads(line) for line in out.read_text().splitlines()]
        assert written, "people walk onto the lawn: the replay must produce events"
        assert collector.wait_for(
            lambda msgs: len([m for m in msgs if "/events/" in m.topic]) >= len(written)
        )
        received = collector.events()
        # The file and the broker carry the same JSON, in the same order.
        assert [e["id"] for e in received] == [e["id"] for e in written]
        assert received == written
        topics = {m.topic for m in collector.snapshot() if "/events/" in m.topic}
        assert topics == {"sw/plant-7/edge-01/events/plaza/danger_zone"}
        # the evidence announcement references files that exist
        ready = [e for e in written if e["data"]["evidence"]["ready"]]
        assert ready, "replay writes evidence and announces it"
        for e in ready:
            clip = e["data"]["evidence"]["clip"]
            assert clip is not None and Path(clip["path"]).is_file()
    finally:
        collector.close()
