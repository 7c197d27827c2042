"""Choice of onnxruntime execution providers: fastest installed first, CPU always last."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

log = logging.getLogger(__name__)

# Short names used in site files and on the command line → onnxruntime provider names.
PROVIDER_NAMES: dict[str, str] = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
DEFAULT_ORDER: tuple[str, ...] = ("tensorrt", "cuda", "openvino", "cpu")
CPU = PROVIDER_NAMES["cpu"]
TRT = PROVIDER_NAMES["tensorrt"]
TRT_CACHE_ENV = "SITEWARDEN_TRT_CACHE"

ProviderSpec = str | tuple[str, dict[str, str]]


def _ort_name(name: str) -> str | None:
    if name in PROVIDER_NAMES.values():
        return name
    return PROVIDER_NAMES.get(name.strip().lower())


def resolve_providers(
    requested: Sequence[str] | None = None, available: Sequence[str] | None = None
) -> list[str]:
    """onnxruntime provider names to try, in order.

    `requested` holds short names ("tensorrt", "cuda", "openvino", "cpu") or full onnxruntime
    names; None means every installed one in the order TensorRT > CUDA > OpenVINO > CPU.
    Unknown or uninstalled requested providers are logged and skipped. CPU is always appended
    as the last fallback, so a box whose GPU driver is broken still detects.
    """
    installed = list(ort.get_available_providers() if available is None else available)
    chosen: list[str] = []
    for name in requested if requested is not None else DEFAULT_ORDER:
        ort_name = _ort_name(name)
        if ort_name is None:
            log.warning(
                "unknown execution provider %r skipped; known: %s", name, ", ".join(PROVIDER_NAMES)
            )
            continue
        if ort_name not in installed:
            if requested is not None:
                log.warning(
                    "execution provider %r is not available in this onnxruntime build "
                    "(installed: %s); skipped",
                    name,
                    ", ".join(installed),
                )
            continue
        if ort_name not in chosen:
            chosen.append(ort_name)
    if CPU not in chosen:
        chosen.append(CPU)
    return chosen


def short_name(ort_name: str) -> str:
    """Short name of an onnxruntime provider, e.g. CUDAExecutionProvider → cuda."""
    for short, full in PROVIDER_NAMES.items():
        if full == ort_name:
            return short
    return ort_name


def trt_cache_dir() -> Path:
    """`$SITEWARDEN_TRT_CACHE`, else ~/.cache/sitewarden/tensorrt."""
    env = os.environ.get(TRT_CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "sitewarden" / "tensorrt"


def with_options(providers: Sequence[str]) -> list[ProviderSpec]:
    """Provider list for InferenceSession, with options where defaults are poor.

    TensorRT builds an engine per model at session start, minutes on a Jetson: cache it on disk
    so a restart of the box is quick, and allow FP16, which Jetson GPUs run much faster.
    """
    specs: list[ProviderSpec] = []
    for name in providers:
        if name == TRT:
            cache = trt_cache_dir()
            try:
                cache.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                log.warning("TensorRT engine cache %s unusable (%s); engines not cached", cache, e)
                specs.append((name, {"trt_fp16_enable": "True"}))
                continue
            options = {
                "trt_engine_cache_enable": "True",
                "trt_engine_cache_path": str(cache),
                "trt_fp16_enable": "True",
            }
            specs.append((name, options))
        else:
            specs.append(name)
    return specs
