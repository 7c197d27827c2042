from __future__ import annotations

import logging
import warnings
from pathlib import Path

import onnxruntime as ort
import pytest

import models.providers as providers_mod
import models.session as session_mod
from models.detector import Detector
from models.providers import PROVIDER_NAMES, resolve_providers, with_options

CPU, CUDA, TRT, OV = (
    "CPUExecutionProvider",
    "CUDAExecutionProvider",
    "TensorrtExecutionProvider",
    "OpenVINOExecutionProvider",
)
MODEL = "light_person_detector_192.onnx"


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


def _installed_short(names: tuple[str, ...], real: list[str]) -> tuple[str, ...]:
    """Those of `names` in `real`, the build's providers (CPU only here, CUDA on a GPU box)."""
    return tuple(n for n in names if PROVIDER_NAMES[n] in real)


def test_detector_session_gets_the_configured_order(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The configured preference reaches the session in that order (CPU appended), and
    info.providers is what the session really runs on, not what was asked for: this build
    is told OpenVINO and CUDA exist, so it is asked for them, but has only CPU."""
    real = ort.get_available_providers()
    monkeypatch.setattr(providers_mod.ort, "get_available_providers", lambda: [CPU, CUDA, OV])
    given: list[object] = []
    real_session = session_mod.ort.InferenceSession

    def spy(path: str, options: object, providers: list[object]) -> ort.InferenceSession:
        given.append(providers)
        return real_session(path, options, providers=providers)

    monkeypatch.setattr(session_mod.ort, "InferenceSession", spy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # onnxruntime: provider not in this build
        det = Detector.open(models_dir / MODEL, providers=["openvino", "cuda"])
    assert given == [[OV, CUDA, CPU]]
    assert det.info.providers == _installed_short(("openvino", "cuda", "cpu"), real)


def test_unavailable_provider_is_refused_with_a_warning_and_cpu_used(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(providers_mod.ort, "get_available_providers", lambda: [CPU])
    with caplog.at_level(logging.WARNING, logger="models.providers"):
        det = Detector.open(models_dir / MODEL, providers=["cuda", "cpu"])
    assert det.info.providers == ("cpu",)
    assert "execution provider 'cuda' is not available" in caplog.text


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
