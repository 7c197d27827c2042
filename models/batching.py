"""Make a detector's batch axis dynamic, where the graph allows it (`sitewarden models
batchable`), so the live runtime can detect several cameras' frames in one session call.

Exporters often fix the batch at 1: the input and output shapes say 1, and Reshape nodes
carry constant target shapes starting with 1 (YOLOX: [1, 85, -1]). Those constants become 0
("copy this dimension from the input": ONNX Reshape with allowzero=0), the shapes get a
symbolic batch dimension, and the model is checked: a batch of N gives, image for image,
what N single calls give. A graph that fixes the batch elsewhere (a Reshape target computed
at run time from constants, an explicit batch of 1 in a Slice/Expand) is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from models.errors import ModelError

BATCH_DIM = "batch"
_BATCH_FIXING_OPS = {"Expand", "Tile", "ConstantOfShape"}


def make_batch_dynamic(src: Path, dst: Path) -> int:
    """Write a copy of `src` with a dynamic batch axis to `dst`; returns the number of
    Reshape targets rewritten. ModelError says why a model cannot be converted."""
    onnx = _onnx()
    model = onnx.load(str(src))
    graph = model.graph
    _check_single_batch(graph, src)
    rewritten = _rewrite_reshapes(onnx, graph)
    # Shapes recorded for intermediate values still say batch 1: drop them (ONNX Runtime
    # infers them again at load).
    del graph.value_info[:]
    for value in [graph.input[0], *graph.output]:
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = BATCH_DIM
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    _verify(src, dst)
    return rewritten


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ModelError("converting a model needs the `onnx` package "
                         "(pip install 'sitewarden[export]' or pip install onnx)") from None
    return onnx


def _check_single_batch(graph: Any, src: Path) -> None:
    inp = graph.input[0].type.tensor_type.shape.dim
    if not inp or inp[0].dim_param:
        raise ModelError(f"{src}: the batch axis is already dynamic")
    if inp[0].dim_value != 1:
        raise ModelError(f"{src}: the batch is fixed at {inp[0].dim_value}, not 1")
    ops = {n.op_type for n in graph.node} & _BATCH_FIXING_OPS
    if ops:
        raise ModelError(f"{src}: {', '.join(sorted(ops))} may fix the batch; not converted")


def _rewrite_reshapes(onnx: Any, graph: Any) -> int:
    inits = {i.name: i for i in graph.initializer}
    count = 0
    for node in graph.node:
        if node.op_type != "Reshape":
            continue
        target = inits.get(node.input[1])
        if target is None:
            raise ModelError(f"Reshape {node.name or node.output[0]}: its target shape is "
                             "computed at run time; cannot tell whether it fixes the batch")
        shape = onnx.numpy_helper.to_array(target).copy()
        if shape.size and shape[0] == 1:
            shape[0] = 0  # copy the batch from the input
            target.CopyFrom(onnx.numpy_helper.from_array(shape.astype(np.int64), target.name))
            count += 1
    return count


def _verify(src: Path, dst: Path) -> None:
    """A batch of 3 random images gives what 3 single runs of the original give."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    try:
        one = ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"])
        many = ort.InferenceSession(str(dst), so, providers=["CPUExecutionProvider"])
    except Exception as e:  # ORT's own exception types
        dst.unlink(missing_ok=True)
        raise ModelError(f"{src}: the converted model does not load ({e}); the graph fixes "
                         "the batch somewhere this tool does not rewrite") from None
    shape = [int(d) for d in one.get_inputs()[0].shape[1:]]
    rng = np.random.default_rng(0)
    batch = rng.uniform(0, 255, (3, *shape)).astype(np.float32)
    name = one.get_inputs()[0].name
    together = many.run(None, {name: batch})
    for i in range(3):
        alone = one.run(None, {name: batch[i : i + 1]})
        for a, b in zip(alone, together, strict=True):
            if not np.allclose(a[0], b[i], rtol=1e-4, atol=1e-3):
                raise ModelError(f"{dst}: the batched model disagrees with the original on "
                                 f"image {i}; not usable")
