"""Choice of onnxruntime execution providers: fastest installed first, CPU always last."""

from __future__ import annotations

import logging
from collections.abc import Sequence

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
