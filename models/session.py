"""Opening an onnxruntime session with clear errors for bad model files."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import onnxruntime as ort

from models.adapters.base import Dim, ModelSpec, TensorSpec
from models.errors import ModelError
from models.providers import CPU, resolve_providers, with_options

log = logging.getLogger(__name__)

ONNX_EXPECTED = "an ONNX person-detection model (.onnx)"


def _check_file(path: Path) -> None:
    if not path.exists():
        raise ModelError(f"{path}: model file not found (expected {ONNX_EXPECTED})")
    if not path.is_file():
        raise ModelError(f"{path}: is not a file (expected {ONNX_EXPECTED})")
    try:
        with path.open("rb") as f:
            head = f.read(1)
    except OSError as e:
        raise ModelError(f"{path}: cannot read model file: {e.strerror or e}") from e
    if not head:
        raise ModelError(f"{path}: model file is empty (expected {ONNX_EXPECTED})")


def _options(threads: int) -> ort.SessionOptions:
    so = ort.SessionOptions()
    # Old exporters list initializers as graph inputs; ORT warns about each one at load.
    so.log_severity_level = 3
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return so


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def open_session(
    path: Path, providers: Sequence[str] | None, threads: int
) -> tuple[ort.InferenceSession, ModelSpec]:
    """A session on the preferred providers (falling back to CPU) and the model's I/O spec."""
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    _check_file(path)
    chosen = resolve_providers(providers)
    try:
        session = ort.InferenceSession(str(path), _options(threads), providers=with_options(chosen))
    except Exception as e:  # ORT raises its own exception types (InvalidProtobuf, Fail, ...)
        if chosen == [CPU]:
            raise ModelError(
                f"{path}: onnxruntime cannot load it ({_first_line(e)}); expected {ONNX_EXPECTED}"
            ) from e
        log.warning("%s: loading with %s failed (%s); retrying on CPU", path, chosen, e)
        try:
            session = ort.InferenceSession(str(path), _options(threads), providers=[CPU])
        except Exception as e2:
            raise ModelError(
                f"{path}: onnxruntime cannot load it ({_first_line(e2)}); expected {ONNX_EXPECTED}"
            ) from e2
    return session, describe(session, path)


def _shape(raw: Sequence[object] | None) -> tuple[Dim, ...]:
    return tuple(d if isinstance(d, int | str) or d is None else str(d) for d in (raw or ()))


def describe(session: ort.InferenceSession, path: Path) -> ModelSpec:
    meta = session.get_modelmeta()
    return ModelSpec(
        path=path,
        inputs=tuple(TensorSpec(i.name, _shape(i.shape)) for i in session.get_inputs()),
        outputs=tuple(TensorSpec(o.name, _shape(o.shape)) for o in session.get_outputs()),
        metadata=dict(meta.custom_metadata_map),
    )
