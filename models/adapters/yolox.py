"""YOLOX raw-grid head: one output [B, N, 5 + C] (box, objectness, class scores)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.adapters.base import (
    Adapter,
    Candidates,
    FloatArray,
    ModelSpec,
    UInt8Image,
    anchor_count,
    anchor_grid,
    person_class_index,
    to_chw_float,
)
from models.letterbox import Letterbox, letterbox_top_left

STRIDES = (8, 16, 32)
# exp() of a raw width/height logit above this is a broken prediction, not a person.
MAX_LOG_WH = 10.0


class YoloxAdapter(Adapter):
    """Megvii YOLOX exported with decode_in_inference=False (also light_person_detector).

    Trained on BGR 0..255 without mean/std, top-left letterbox padded with 114
    (yolox/data/data_augment.py `preproc`). Objectness and class scores are already sigmoids;
    boxes are raw: xy = (p + cell) * stride, wh = exp(p) * stride.
    """

    name = "yolox"

    def __init__(self, spec: ModelSpec, input_wh: tuple[int, int]) -> None:
        super().__init__(spec, input_wh)
        self._cells, self._strides = anchor_grid(input_wh, STRIDES)
        self._channels = int(spec.outputs[0].shape[2])  # type: ignore[arg-type]
        self._person = person_class_index(spec, self._channels - 5)

    @classmethod
    def mismatch(cls, spec: ModelSpec, input_wh: tuple[int, int]) -> str | None:
        if len(spec.outputs) != 1:
            return f"YOLOX has one output, the model has {len(spec.outputs)}"
        shape = spec.outputs[0].shape
        n = anchor_count(input_wh, STRIDES)
        if len(shape) != 3 or not isinstance(shape[2], int) or shape[2] < 6:
            return f"YOLOX output is [1,{n},5+classes]"
        if isinstance(shape[1], int) and shape[1] != n:
            return f"YOLOX output at {input_wh[0]}x{input_wh[1]} is [1,{n},5+classes]"
        return None

    def preprocess(self, image_bgr: UInt8Image) -> tuple[FloatArray, Letterbox]:
        canvas, lb = letterbox_top_left(image_bgr, self.input_wh, pad_value=114)
        return to_chw_float(canvas), lb

    def decode(self, outputs: Sequence[np.ndarray], score_threshold: float) -> Candidates:
        pred = outputs[0]
        self._expect_shape(pred, (self._cells.shape[0], self._channels), self.spec.outputs[0].name)
        scores = pred[:, 4] * pred[:, 5 + self._person]
        keep = np.flatnonzero(scores >= score_threshold)
        if keep.size == 0:
            return Candidates.empty()
        p = pred[keep].astype(np.float32)
        stride = self._strides[keep, None]
        centre = (p[:, 0:2] + self._cells[keep]) * stride
        half = np.exp(np.minimum(p[:, 2:4], MAX_LOG_WH)) * stride / 2
        boxes = np.concatenate([centre - half, centre + half], axis=1)
        return Candidates(boxes.astype(np.float32), scores[keep].astype(np.float32))
