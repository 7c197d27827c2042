"""Tiny hand-built ONNX graphs with known outputs, for detector tests without real weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

Dim = int | str


def _save(
    path: Path,
    nodes: list[onnx.NodeProto],
    inputs: list[onnx.ValueInfoProto],
    outputs: list[onnx.ValueInfoProto],
    initializers: Sequence[onnx.TensorProto] = (),
    metadata: Mapping[str, str] | None = None,
) -> Path:
    graph = helper.make_graph(nodes, "tiny", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    for k, v in (metadata or {}).items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def constant_head_model(
    path: Path,
    head: np.ndarray,
    input_shape: Sequence[Dim] = ("batch", 3, 64, 64),
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """A model whose single output is `head` (e.g. [N, C]) for every image of the batch.

    output[b] = head + 0 * mean(input[b]); the mean keeps the batch axis tied to the input.
    """
    const = numpy_helper.from_array(head.astype(np.float32)[None], "head")
    zero = numpy_helper.from_array(np.zeros((1,), np.float32), "zero")
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["m"], axes=[1, 2, 3], keepdims=1),
        helper.make_node("Squeeze", ["m", "sq_axes"], ["m3"]),
        helper.make_node("Mul", ["m3", "zero"], ["z"]),
        helper.make_node("Add", ["z", "head"], ["output"]),
    ]
    sq_axes = numpy_helper.from_array(np.array([3], np.int64), "sq_axes")
    batch = input_shape[0]
    out_shape: list[Dim] = [batch, *head.shape]
    return _save(
        path,
        nodes,
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, out_shape)],
        [const, zero, sq_axes],
        metadata,
    )


def flatten_model(path: Path, input_shape: Sequence[Dim] = (1, 3, 64, 64)) -> Path:
    """A valid model whose output [1, 3*H*W] is no detector layout at all."""
    n = int(np.prod([d for d in input_shape[1:] if isinstance(d, int)]))
    return _save(
        path,
        [helper.make_node("Flatten", ["images"], ["output"], axis=1)],
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [input_shape[0], n])],
    )


def yolox_head(input_wh: tuple[int, int], boxes: Mapping[int, Sequence[float]]) -> np.ndarray:
    """A YOLOX raw head [N, 6] (one class) with the given anchors set to raw predictions.

    boxes: anchor index → (px, py, log_w, log_h, objectness, class score).
    """
    n = sum((input_wh[0] // s) * (input_wh[1] // s) for s in (8, 16, 32))
    head = np.zeros((n, 6), np.float32)
    for i, row in boxes.items():
        head[i] = row
    return head
