"""`sitewarden detect` through the real CLI entry (typer's CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
from typer.testing import CliRunner

from edge.cli import app
from tests.cli_result import assert_clean_exit

MODEL = "yolox_nano.onnx"
CROWD = "000000183709.jpg"  # 12 annotated persons, 3 of them large
NOBODY = "000000030213.jpg"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def test_json_lines(runner: CliRunner, assets: Path) -> None:
    images = [assets / "images" / CROWD, assets / "images" / NOBODY]
    result = runner.invoke(
        app, ["detect", "--model", str(assets / "models" / MODEL), "--json", *map(str, images)]
    )
    assert_clean_exit(result, 0)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["image"] for line in lines] == [str(p) for p in images]
    assert all(set(line) == {"image", "detections"} for line in lines)
    crowd = lines[0]["detections"]
    assert len(crowd) >= 3
    for d in crowd:
        assert set(d) == {"box_xyxy_px", "score"}
        x1, y1, x2, y2 = d["box_xyxy_px"]
        assert 0 <= x1 < x2 <= 480 and 0 <= y1 < y2 <= 640  # the image is 480x640
        assert 0.35 <= d["score"] <= 1
        assert (
            all(round(v, 1) == v for v in d["box_xyxy_px"]) and round(d["score"], 3) == d["score"]
        )
    assert [d["score"] for d in crowd] == sorted((d["score"] for d in crowd), reverse=True)


def test_score_threshold_option(runner: CliRunner, assets: Path) -> None:
    def count(threshold: str) -> int:
        res = runner.invoke(
            app,
            [
                "detect",
                "--model",
                str(assets / "models" / MODEL),
                "--json",
                "--score-threshold",
                threshold,
                str(assets / "images" / CROWD),
            ],
        )
        assert_clean_exit(res, 0)
        return len(json.loads(res.stdout)["detections"])

    assert count("0.8") < count("0.3")


def test_annotated_output_and_unreadable_images(
    runner: CliRunner, assets: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    missing = tmp_path / "missing.jpg"
    out = tmp_path / "annotated"
    good = assets / "images" / CROWD
    result = runner.invoke(
        app,
        [
            "detect",
            "--model",
            str(assets / "models" / MODEL),
            "--out",
            str(out),
            str(broken),
            str(good),
            str(missing),
        ],
    )
    assert_clean_exit(result, 1, f"{broken}: not a readable image",
                      f"{missing}: no such image file")
    # The readable image in between was still processed and annotated.
    assert result.stdout.startswith(f"{good}: ")
    written = cv2.imread(str(out / "000000183709.jpg"))
    original = cv2.imread(str(good))
    assert written is not None and original is not None
    assert written.shape == original.shape
    assert sorted(p.name for p in out.iterdir()) == ["000000183709.jpg"]


@pytest.mark.parametrize("content", [None, b"", b"garbage"])
def test_bad_model_is_one_line_and_exit_1(
    runner: CliRunner, assets: Path, tmp_path: Path, content: bytes | None
) -> None:
    model = tmp_path / "model.onnx"
    if content is not None:
        model.write_bytes(content)
    result = runner.invoke(app, ["detect", "--model", str(model), str(assets / "images" / CROWD)])
    assert_clean_exit(result, 1, f"error: {model}: ")
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {model}: ")
