"""`sitewarden replay` end to end on real video with a real model, and its bad inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
import yaml
from click.testing import Result
from typer.testing import CliRunner

from edge.cli import app
from edge.config import load_config
from edge.core.detect import open_detectors
from edge.replay import ReplayOptions, run_replay
from tests.cli_result import assert_clean_exit


def _site(tmp_path: Path, assets: Path, video: str = "vtest_480x360.mp4", fps: float = 1) -> Path:
    doc = {
        "site_id": "plant-7",
        "box_id": "edge-01",
        "timezone": "Asia/Shanghai",
        "detector": {"model": str(assets / "models" / "yolox_nano.onnx")},
        # 1 fps keeps these tests quick; the golden replays run at the usual 5 fps
        "cameras": [{"id": "cam", "url": str(assets / "video" / video), "analysis_fps": fps}],
        "zones": [
            {"id": "lawn", "camera": "cam", "kind": "danger_zone", "min_duration_s": 1,
             "points": [[0.0, 0.62], [1.0, 0.62], [1.0, 1.0], [0.0, 1.0]]},
            {"id": "path", "camera": "cam", "kind": "duty_post", "absence_s": 5, "return_s": 2,
             "points": [[0.0, 0.15], [1.0, 0.15], [1.0, 0.6], [0.0, 0.6]]},
        ],
        "storage": {"directory": str(tmp_path / "store"), "evidence": {"enabled": False}},
    }
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _replay(*args: str) -> Result:
    return CliRunner().invoke(app, ["replay", *args])


@pytest.mark.assets
def test_replay_writes_cloudevents_in_lifecycle_order(tmp_path: Path, assets: Path) -> None:
    site = _site(tmp_path, assets, fps=2)
    out = tmp_path / "events.jsonl"
    res = _replay(str(site), "--camera", "cam", "--events-out", str(out), "--summary")
    assert_clean_exit(res, 0, "violation(s)", stream="stdout")
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert events, "people walk onto the lawn in vtest: there must be violations"
    for ev in events:
        assert ev["specversion"] == "1.0"
        assert ev["source"] == "/sitewarden/plant-7/edge-01"
        assert ev["type"].startswith("sitewarden.violation.")
        data = ev["data"]
        assert ev["subject"] == f"cam/{data['zone_id']}"
        assert data["phase"] in ("started", "updated", "ended")
        assert data["started_at"].endswith("+08:00")
        assert 0.0 <= data["source_time_s"] <= 80.0
    by_id: dict[str, list[str]] = {}
    for ev in events:
        by_id.setdefault(ev["data"]["violation_id"], []).append(ev["data"]["phase"])
    for phases in by_id.values():
        assert phases[0] == "started"
        assert phases.count("started") == 1 and phases.count("ended") <= 1
        if "ended" in phases:
            assert phases.index("ended") == len(phases) - 1


@pytest.mark.assets
def test_replay_video_with_nobody(tmp_path: Path, assets: Path) -> None:
    empty = tmp_path / "empty.mp4"
    _write_video(empty, seconds=4, fps=10)
    site = _site(tmp_path, assets)
    out = tmp_path / "ev.jsonl"
    res = _replay(str(site), "--camera", "cam", "--source", str(empty),
                  "--events-out", str(out))
    assert_clean_exit(res, 0)
    # Nobody on the path for 4 s with absence_s 5: no duty-post alarm yet, no danger alarm.
    assert out.read_text() == ""


@pytest.mark.assets
def test_replay_of_a_damaged_file_analyses_to_its_end(tmp_path: Path, assets: Path) -> None:
    bad = tmp_path / "corrupt.mp4"
    data = bytearray((assets / "video" / "vtest_480x360.mp4").read_bytes())
    rng = np.random.default_rng(7)
    for off in range(400_000, len(data) - 200_000, 300_000):
        data[off:off + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    bad.write_bytes(bytes(data))
    site = _site(tmp_path, assets)
    res = _replay(str(site), "--camera", "cam", "--source", str(bad),
                  "--events-out", str(tmp_path / "ev.jsonl"))
    assert_clean_exit(res, 0)
    cfg = load_config(site)
    sessions, _ = open_detectors(cfg)
    result = run_replay(cfg, ReplayOptions("cam", bad), sessions, [])
    # The damage is counted and skipped; the analysis goes on to the last second (79.4 s).
    assert result.corrupt_packets >= 3
    assert result.duration_s >= 78.5
    assert result.frames_analysed >= 78  # 1 fps over 79.4 s, a few damaged frames skipped


@pytest.mark.assets
@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: None, "no such video file"),
        (lambda p: p.write_bytes(b""), "not a readable video"),
        (lambda p: p.write_text("hello, not a video"), "not a readable video"),
    ],
    ids=["missing", "empty", "text"],
)
def test_replay_bad_source_is_a_clear_error(
    tmp_path: Path, assets: Path, make: object, expected: str
) -> None:
    src = tmp_path / "src.mp4"
    make(src)  # type: ignore[operator]
    res = _replay(str(_site(tmp_path, assets)), "--camera", "cam", "--source", str(src))
    assert_clean_exit(res, 1, expected)


@pytest.mark.assets
def test_replay_unknown_camera_and_bad_model(tmp_path: Path, assets: Path) -> None:
    res = _replay(str(_site(tmp_path, assets)), "--camera", "nope")
    assert_clean_exit(res, 1, "--camera 'nope'")
    fake = tmp_path / "fake.onnx"
    shutil.copy(assets / "images" / "persons.json", fake)
    site = _site(tmp_path, assets)
    doc = yaml.safe_load(site.read_text())
    doc["detector"]["model"] = str(fake)
    site.write_text(yaml.safe_dump(doc))
    res = _replay(str(site), "--camera", "cam")
    assert_clean_exit(res, 1, "fake.onnx")


def _write_video(path: Path, seconds: int, fps: int) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(seconds * fps):
            img = np.full((240, 320, 3), 90 + (i % 3), np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
