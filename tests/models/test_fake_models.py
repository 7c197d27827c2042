"""Detector end to end on tiny ONNX graphs whose outputs are known exactly."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from models.detector import Detector
from models.errors import ModelError
from tests.models.tiny_onnx import constant_head_model, yolox_head

LN2 = math.log(2)
# Stride-8 anchor 19 is cell (col 3, row 2): centre ((0.5+3)*8, (0.5+2)*8) = (28, 20),
# size exp(ln 2)*8 = 16 → [20, 12, 36, 28] in input pixels, score 0.9 * 1.0.
# Anchor 20 predicts the same box (offset -0.5 from col 4) at 0.8: NMS must remove it.
# Anchor 0 scores 0.1 and stays below the threshold.
HEAD = yolox_head(
    (64, 64),
    {
        19: (0.5, 0.5, LN2, LN2, 0.9, 1.0),
        20: (-0.5, 0.5, LN2, LN2, 0.8, 1.0),
        0: (0.5, 0.5, 0.0, 0.0, 0.1, 1.0),
    },
)


@pytest.fixture(scope="module")
def dynamic_batch_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return constant_head_model(tmp_path_factory.mktemp("fake") / "yolox_dyn.onnx", HEAD)


def test_box_maps_back_to_source_pixels_of_a_non_square_image(dynamic_batch_model: Path) -> None:
    det = Detector.open(dynamic_batch_model, score_threshold=0.3)
    assert det.info.adapter == "yolox"
    assert det.info.input_wh == (64, 64)
    # 128x64 source: scale 0.5, top-left placement, so source = input / 0.5.
    out = det.detect(np.zeros((64, 128, 3), np.uint8))
    np.testing.assert_allclose(out.boxes_xyxy_px, [[40, 24, 72, 56]], atol=1e-4)
    np.testing.assert_allclose(out.scores, [0.9], atol=1e-6)


def test_boxes_are_clipped_to_a_small_image(dynamic_batch_model: Path) -> None:
    det = Detector.open(dynamic_batch_model, score_threshold=0.3)
    # 16x16 source: scale 4; input box [20,12,36,28] → [5,3,9,7], inside; and a 8x8 image
    # (scale 8) puts it at [2.5,1.5,4.5,3.5], still inside; a 4x8 image clips x2 to 4.
    out = det.detect(np.zeros((8, 4, 3), np.uint8))
    np.testing.assert_allclose(out.boxes_xyxy_px, [[2.5, 1.5, 4.0, 3.5]], atol=1e-4)


def test_dynamic_batch_is_batched_and_matches_single_images(dynamic_batch_model: Path) -> None:
    det = Detector.open(dynamic_batch_model, score_threshold=0.3)
    assert det.info.batchable and det.info.max_batch is None
    images = [np.zeros((h, w, 3), np.uint8) for w, h in ((128, 64), (64, 64), (40, 100))]
    batched = det.detect_batch(images)
    assert len(batched) == 3
    for image, got in zip(images, batched, strict=True):
        want = det.detect(image)
        np.testing.assert_allclose(got.boxes_xyxy_px, want.boxes_xyxy_px, atol=1e-4)
        np.testing.assert_allclose(got.scores, want.scores)
    assert det.detect_batch([]) == []


def test_fixed_batch_of_two_pads_partial_batches(tmp_path: Path) -> None:
    path = constant_head_model(tmp_path / "yolox_b2.onnx", HEAD, input_shape=(2, 3, 64, 64))
    det = Detector.open(path, score_threshold=0.3)
    assert det.info.batchable and det.info.max_batch == 2
    images = [np.zeros((64, 128, 3), np.uint8)] * 3
    results = det.detect_batch(images)
    assert [len(r) for r in results] == [1, 1, 1]
    assert len(det.detect(images[0])) == 1


def test_fixed_batch_of_one_is_not_batchable(tmp_path: Path) -> None:
    path = constant_head_model(tmp_path / "yolox_b1.onnx", HEAD, input_shape=(1, 3, 64, 64))
    det = Detector.open(path, score_threshold=0.3)
    assert not det.info.batchable
    assert [len(r) for r in det.detect_batch([np.zeros((64, 64, 3), np.uint8)] * 2)] == [1, 1]


# Ultralytics layout [4+C, N]: anchor 10 holds cx=32, cy=32, w=20, h=40.
def _ultra_head(classes: int, person_row: int) -> np.ndarray:
    head = np.zeros((4 + classes, 84), np.float32)
    head[0:4, 10] = (32, 32, 20, 40)
    head[person_row, 10] = 0.7
    return head


def test_ultralytics_dynamic_size_from_metadata_and_person_index_from_names(
    tmp_path: Path,
) -> None:
    meta = {"task": "detect", "imgsz": "[64, 64]", "names": "{0: 'helmet', 1: 'person'}"}
    path = constant_head_model(
        tmp_path / "u.onnx", _ultra_head(2, 5), ("b", 3, "h", "w"), metadata=meta
    )
    det = Detector.open(path, score_threshold=0.5)
    assert (det.info.adapter, det.info.input_wh) == ("ultralytics", (64, 64))
    # 64x128 portrait: scale 0.5, 16 px of padding left; input box [22,12,42,52].
    out = det.detect(np.zeros((128, 64, 3), np.uint8))
    np.testing.assert_allclose(out.boxes_xyxy_px, [[12, 24, 52, 104]], atol=1e-4)
    np.testing.assert_allclose(out.scores, [0.7], atol=1e-6)


def test_dynamic_input_size_needs_input_size(tmp_path: Path) -> None:
    path = constant_head_model(tmp_path / "dyn.onnx", _ultra_head(1, 4), ("b", 3, "h", "w"))
    with pytest.raises(ModelError, match=r"dyn\.onnx.*dynamic.*input_size"):
        Detector.open(path)
    det = Detector.open(path, input_size=(64, 64), score_threshold=0.5)
    assert det.info.adapter == "ultralytics"
    assert len(det.detect(np.zeros((64, 64, 3), np.uint8))) == 1
    with pytest.raises(ModelError, match="multiples of 32"):
        Detector.open(path, input_size=(50, 64))


def test_model_without_person_class_is_refused(tmp_path: Path) -> None:
    meta = {"task": "detect", "imgsz": "[64, 64]", "names": "{0: 'helmet', 1: 'vest'}"}
    path = constant_head_model(tmp_path / "ppe.onnx", _ultra_head(2, 4), metadata=meta)
    with pytest.raises(ModelError, match=r"ppe\.onnx.*no 'person' class.*helmet, vest"):
        Detector.open(path)


def test_non_detect_ultralytics_task_is_refused(tmp_path: Path) -> None:
    meta = {"task": "pose", "imgsz": "[64, 64]"}
    path = constant_head_model(tmp_path / "pose.onnx", _ultra_head(1, 4), metadata=meta)
    with pytest.raises(ModelError, match=r"pose\.onnx"):
        Detector.open(path, adapter="ultralytics")
