"""`sitewarden models batchable`: a dynamic batch axis where the graph allows it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from models.batching import make_batch_dynamic
from models.detector import Detector
from models.errors import ModelError


def test_yolox_gets_a_dynamic_batch_that_detects_like_single_calls(
    assets: Path, tmp_path: Path
) -> None:
    out = tmp_path / "yolox_nano_batch.onnx"
    assert make_batch_dynamic(assets / "models" / "yolox_nano.onnx", out) == 3
    single = Detector.open(assets / "models" / "yolox_nano.onnx")
    batched = Detector.open(out)
    assert not single.info.batchable
    assert batched.info.batchable and batched.info.max_batch is None
    images = [cv2.imread(str(p)) for p in sorted((assets / "images").glob("*.jpg"))[:5]]
    together = batched.detect_batch(images)
    for img, got in zip(images, together, strict=True):
        alone = single.detect(img)
        assert len(got) == len(alone)
        np.testing.assert_allclose(got.boxes_xyxy_px, alone.boxes_xyxy_px, atol=0.5)
        np.testing.assert_allclose(got.scores, alone.scores, atol=1e-3)


@pytest.mark.parametrize(("model", "why"), [
    ("yolov8n_int8.onnx", "does not load"),  # dynamic quantisation fixes shapes in Add nodes
])
def test_a_graph_that_fixes_the_batch_is_refused_with_the_reason(
    assets: Path, tmp_path: Path, model: str, why: str
) -> None:
    out = tmp_path / "out.onnx"
    with pytest.raises(ModelError, match=why):
        make_batch_dynamic(assets / "models" / model, out)
    assert not out.exists()


def test_an_already_dynamic_batch_is_left_alone(assets: Path, tmp_path: Path) -> None:
    first = tmp_path / "a.onnx"
    make_batch_dynamic(assets / "models" / "yolox_nano.onnx", first)
    with pytest.raises(ModelError, match="already dynamic"):
        make_batch_dynamic(first, tmp_path / "b.onnx")
