from __future__ import annotations

import logging
from pathlib import Path

import pytest

from models.detector import Detector
from models.providers import resolve_providers, with_options

CPU, CUDA, TRT, OV = (
    "CPUExecutionProvider",
    "CUDAExecutionProvider",
    "TensorrtExecutionProvider",
    "OpenVINOExecutionProvider",
)


def test_default_order_prefers_accelerators_and_ends_with_cpu() -> None:
    available = [CPU, OV, CUDA, TRT, "AzureExecutionProvider"]
    assert resolve_providers(None, available) == [TRT, CUDA, OV, CPU]
    assert resolve_providers(None, [CPU]) == [CPU]


def test_configured_order_is_kept_and_cpu_appended() -> None:
    assert resolve_providers(["cuda", "tensorrt"], [CPU, CUDA, TRT]) == [CUDA, TRT, CPU]
    assert resolve_providers(["cpu", "cuda"], [CPU, CUDA]) == [CPU, CUDA]
    assert resolve_providers([CUDA], [CPU, CUDA]) == [CUDA, CPU]


def test_unknown_and_missing_providers_are_logged_and_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="models.providers"):
        assert resolve_providers(["tpu", "cuda", "openvino"], [CPU]) == [CPU]
    text = caplog.text
    assert "unknown execution provider 'tpu'" in text
    assert "'cuda' is not available" in text and "'openvino' is not available" in text


def test_detector_reports_providers_in_use(models_dir: Path) -> None:
    det = Detector.open(models_dir / "light_person_detector_192.onnx", providers=["cuda", "cpu"])
    assert det.info.providers[-1] == "cpu"


def test_tensorrt_gets_an_engine_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITEWARDEN_TRT_CACHE", str(tmp_path / "trt"))
    specs = with_options([TRT, CUDA, CPU])
    assert specs[1:] == [CUDA, CPU]
    first = specs[0]
    assert isinstance(first, tuple)
    name, options = first
    assert name == TRT
    assert options["trt_engine_cache_enable"] == "True"
    assert options["trt_engine_cache_path"] == str(tmp_path / "trt")
    assert (tmp_path / "trt").is_dir()
