"""Each adapter feeds its model exactly what the model was trained on (SOURCES.md model notes).

The accuracy tests alone would not catch these mistakes: on the COCO subset, YOLOX fed RGB or a
centred letterbox, or YOLO11 fed BGR, still finds 24-29 of the 33 large persons. So the
input tensor itself is checked here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.adapters import ModelSpec, TensorSpec, select_adapter

INPUT_WH = (64, 64)
BGR = (10, 20, 30)
IMAGE = np.empty((32, 64, 3), np.uint8)  # landscape: 64x32, scale 1 into 64x64
IMAGE[:] = BGR


def _spec(outputs: list[TensorSpec], metadata: dict[str, str] | None = None) -> ModelSpec:
    return ModelSpec(
        path=Path("synthetic.onnx"),
        inputs=(TensorSpec("images", (1, 3, 64, 64)),),
        outputs=tuple(outputs),
        metadata=metadata or {},
    )


YOLOX = _spec([TensorSpec("output", (1, 84, 6))])
ULTRALYTICS = _spec([TensorSpec("output0", (1, 84, 84))], {"task": "detect", "imgsz": "[64, 64]"})
NANODET = _spec(
    [TensorSpec(f"cls_pred_stride_{s}", (1, (64 // s) ** 2, 80)) for s in (8, 16, 32)]
    + [TensorSpec(f"dis_pred_stride_{s}", (1, (64 // s) ** 2, 32)) for s in (8, 16, 32)]
)


def test_yolox_is_bgr_0_255_top_left_pad_114() -> None:
    adapter = select_adapter(YOLOX, INPUT_WH)
    assert adapter.name == "yolox"
    blob, lb = adapter.preprocess(IMAGE)
    assert blob.shape == (3, 64, 64) and blob.dtype == np.float32
    np.testing.assert_array_equal(blob[:, 0, 0], BGR)
    np.testing.assert_array_equal(blob[:, 31, 63], BGR)
    np.testing.assert_array_equal(blob[:, 32:, :], 114)
    assert (lb.pad_x, lb.pad_y) == (0, 0)


def test_ultralytics_is_rgb_unit_range_centred_pad_114() -> None:
    adapter = select_adapter(ULTRALYTICS, INPUT_WH)
    assert adapter.name == "ultralytics"
    blob, lb = adapter.preprocess(IMAGE)
    assert blob.shape == (3, 64, 64) and blob.dtype == np.float32
    np.testing.assert_allclose(blob[:, 16, 0], np.array(BGR[::-1]) / 255, rtol=1e-6)
    np.testing.assert_allclose(blob[:, :16, :], 114 / 255, rtol=1e-6)
    np.testing.assert_allclose(blob[:, 48:, :], 114 / 255, rtol=1e-6)
    assert (lb.pad_x, lb.pad_y) == (0, 16)


def test_nanodet_is_bgr_mean_std_centred_black_border() -> None:
    adapter = select_adapter(NANODET, INPUT_WH)
    assert adapter.name == "nanodet"
    blob, lb = adapter.preprocess(IMAGE)
    mean = np.array([103.53, 116.28, 123.675])
    std = np.array([57.375, 57.12, 58.395])
    np.testing.assert_allclose(blob[:, 32, 32], (np.array(BGR) - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(blob[:, 0, 0], -mean / std, rtol=1e-5)
    assert lb.pad_y == pytest.approx(16)


def test_adapter_choice_follows_output_layout() -> None:
    # The same single-output tensor read two ways: [1,N,5+C] is YOLOX, [1,4+C,N] Ultralytics.
    assert select_adapter(_spec([TensorSpec("o", (1, 84, 85))]), INPUT_WH).name == "yolox"
    assert select_adapter(_spec([TensorSpec("o", (1, 5, 84))]), INPUT_WH).name == "ultralytics"
