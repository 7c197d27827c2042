"""Bad model files and bad arguments give ModelError/ValueError naming the file and the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models.detector import Detector
from models.errors import ModelError
from tests.models.tiny_onnx import flatten_model


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.onnx"
    with pytest.raises(ModelError, match=r"nowhere\.onnx: model file not found.*expected an ONNX"):
        Detector.open(path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is not a file"):
        Detector.open(tmp_path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    with pytest.raises(ModelError, match=r"empty\.onnx: model file is empty"):
        Detector.open(path)


def test_text_file_is_not_onnx(tmp_path: Path) -> None:
    path = tmp_path / "notes.onnx"
    path.write_text("this is not a model\n")
    with pytest.raises(ModelError, match=r"notes\.onnx: onnxruntime cannot load it.*expected an"):
        Detector.open(path)


def test_truncated_model(tmp_path: Path, models_dir: Path) -> None:
    path = tmp_path / "cut.onnx"
    path.write_bytes((models_dir / "yolox_nano.onnx").read_bytes()[:200_000])
    with pytest.raises(ModelError, match=r"cut\.onnx: onnxruntime cannot load it"):
        Detector.open(path)


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.onnx"
    path.write_bytes(b"\x08\x07")
    real_open = Path.open

    def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
        # Tests run as root in CI, where chmod 000 does not stop reads: simulate EACCES.
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(
        ModelError, match=r"locked\.onnx: cannot read model file: Permission denied"
    ):
        Detector.open(path)


def test_model_with_unexpected_outputs(tmp_path: Path) -> None:
    path = flatten_model(tmp_path / "classifier.onnx")
    with pytest.raises(ModelError) as err:
        Detector.open(path)
    message = str(err.value)
    assert str(path) in message
    assert "unsupported model outputs output[1,12288]" in message
    assert "YOLOX output [1,N,5+classes]" in message  # says what was expected


def test_channels_last_input_is_refused(tmp_path: Path) -> None:
    path = flatten_model(tmp_path / "nhwc.onnx", input_shape=(1, 64, 64, 3))
    with pytest.raises(ModelError, match=r"nhwc\.onnx: input images\[1,64,64,3\] is not an NCHW"):
        Detector.open(path)


def test_explicit_adapter_that_does_not_fit(models_dir: Path) -> None:
    with pytest.raises(
        ModelError, match=r"yolox_nano\.onnx: outputs output\[1,3549,85\] do not fit"
    ):
        Detector.open(models_dir / "yolox_nano.onnx", adapter="ultralytics")
    with pytest.raises(ModelError, match="unknown adapter 'ssd'"):
        Detector.open(models_dir / "yolox_nano.onnx", adapter="ssd")


def test_input_size_against_fixed_input(models_dir: Path) -> None:
    with pytest.raises(ModelError, match=r"fixed at 416x416; input_size 320x320"):
        Detector.open(models_dir / "yolox_nano.onnx", input_size=(320, 320))


def test_bad_thresholds_and_threads(models_dir: Path) -> None:
    path = models_dir / "light_person_detector_192.onnx"
    with pytest.raises(ValueError, match="score_threshold"):
        Detector.open(path, score_threshold=1.5)
    with pytest.raises(ValueError, match="threads"):
        Detector.open(path, threads=0)


def test_bad_images(models_dir: Path) -> None:
    det = Detector.open(models_dir / "light_person_detector_192.onnx")
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        det.detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        det.detect(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError, match="empty"):
        det.detect(np.zeros((0, 10, 3), np.uint8))
