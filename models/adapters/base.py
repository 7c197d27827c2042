"""What every model adapter provides, and the description of a loaded model it works from."""

from __future__ import annotations

import ast
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from models.errors import ModelError
from models.letterbox import Letterbox

Dim = int | str | None
FloatArray = npt.NDArray[np.float32]
UInt8Image = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[Dim, ...]

    def describe(self) -> str:
        dims = ",".join("?" if not isinstance(d, int) else str(d) for d in self.shape)
        return f"{self.name}[{dims}]"


@dataclass(frozen=True)
class ModelSpec:
    """The inputs, outputs and metadata of an ONNX model, as onnxruntime reports them."""

    path: Path
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    metadata: Mapping[str, str] = field(default_factory=dict)

    def describe_outputs(self) -> str:
        return ", ".join(o.describe() for o in self.outputs)


@dataclass(frozen=True)
class Candidates:
    """Person boxes before NMS, in model-input pixels."""

    boxes_xyxy: FloatArray  # (K, 4)
    scores: FloatArray  # (K,)

    @staticmethod
    def empty() -> Candidates:
        return Candidates(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32))

    @staticmethod
    def concat(parts: Sequence[Candidates]) -> Candidates:
        if not parts:
            return Candidates.empty()
        return Candidates(
            np.concatenate([p.boxes_xyxy for p in parts]).astype(np.float32, copy=False),
            np.concatenate([p.scores for p in parts]).astype(np.float32, copy=False),
        )


def grid_cells(input_wh: tuple[int, int], strides: Sequence[int]) -> list[tuple[int, int]]:
    """(cols, rows) of the prediction grid at each stride."""
    return [(-(-input_wh[0] // s), -(-input_wh[1] // s)) for s in strides]


def anchor_grid(input_wh: tuple[int, int], strides: Sequence[int]) -> tuple[FloatArray, FloatArray]:
    """Cell (col, row) indices and the stride of each anchor, row-major per stride level."""
    xy: list[FloatArray] = []
    st: list[FloatArray] = []
    for (cols, rows), s in zip(grid_cells(input_wh, strides), strides, strict=True):
        gx, gy = np.meshgrid(np.arange(cols), np.arange(rows))
        xy.append(np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32))
        st.append(np.full(cols * rows, s, np.float32))
    return np.concatenate(xy), np.concatenate(st)


def anchor_count(input_wh: tuple[int, int], strides: Sequence[int]) -> int:
    return sum(c * r for c, r in grid_cells(input_wh, strides))


def class_names(spec: ModelSpec) -> list[str] | None:
    """Class names from Ultralytics-style metadata ("{0: 'person', ...}"), if present."""
    raw = spec.metadata.get("names")
    if not raw:
        return None
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, dict):
        return [str(value[k]) for k in sorted(value)]
    if isinstance(value, list):
        return [str(v) for v in value]
    return None


def person_class_index(spec: ModelSpec, num_classes: int) -> int:
    """Index of the 'person' class: from metadata names when present, else 0 (COCO order)."""
    names = class_names(spec)
    if names is None:
        return 0
    lowered = [n.lower() for n in names]
    if "person" not in lowered:
        shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
        raise ModelError(
            f"{spec.path}: the model has no 'person' class (classes: {shown}); "
            "sitewarden needs a person detector"
        )
    index = lowered.index("person")
    if index >= num_classes:
        raise ModelError(
            f"{spec.path}: metadata names 'person' as class {index} "
            f"but the output has only {num_classes} classes"
        )
    return index


def to_chw_float(image: UInt8Image) -> FloatArray:
    return np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32)


class Adapter(ABC):
    """Pre-processing and output decoding for one model family."""

    name: ClassVar[str]

    def __init__(self, spec: ModelSpec, input_wh: tuple[int, int]) -> None:
        self.spec = spec
        self.input_wh = input_wh

    @classmethod
    @abstractmethod
    def mismatch(cls, spec: ModelSpec, input_wh: tuple[int, int]) -> str | None:
        """None when this adapter fits the model's outputs, else why it does not."""

    @abstractmethod
    def preprocess(self, image_bgr: UInt8Image) -> tuple[FloatArray, Letterbox]:
        """One BGR image → the (3, H, W) float32 input the model was trained on."""

    @abstractmethod
    def decode(self, outputs: Sequence[np.ndarray], score_threshold: float) -> Candidates:
        """One image's outputs (batch axis removed, in session order) → person candidates."""

    def _expect_shape(self, array: np.ndarray, shape: tuple[int, ...], what: str) -> None:
        if array.shape != shape:
            raise ModelError(
                f"{self.spec.path}: output {what} has shape {list(array.shape)} at run time, "
                f"expected {list(shape)} for the {self.name} layout"
            )
