"""Ultralytics YOLOv8 / YOLO11 detect exports: one output [B, 4 + C, N], no NMS in the graph."""

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
    person_class_index,
    to_chw_float,
)
from models.letterbox import Letterbox, letterbox_centred

STRIDES = (8, 16, 32)


class UltralyticsAdapter(Adapter):
    """Trained on RGB scaled to 0..1, centred letterbox padded with 114 (Ultralytics LetterBox).

    Rows 0-3 are cx, cy, w, h in input pixels, the other rows class scores (no objectness).
    The person score is read directly, not only when person is the arg-max class, so a
    person on a bicycle is not lost to the bicycle class.
    """

    name = "ultralytics"

    def __init__(self, spec: ModelSpec, input_wh: tuple[int, int]) -> None:
        super().__init__(spec, input_wh)
        self._rows = int(spec.outputs[0].shape[1])  # type: ignore[arg-type]
        self._anchors = anchor_count(input_wh, STRIDES)
        self._person = person_class_index(spec, self._rows - 4)

    @classmethod
    def mismatch(cls, spec: ModelSpec, input_wh: tuple[int, int]) -> str | None:
        task = spec.metadata.get("task")
        if task is not None and task != "detect":
            return f"Ultralytics model task is {task!r}; only 'detect' is supported"
        if spec.metadata.get("end2end", "False") == "True":
            return "Ultralytics end-to-end (NMS-in-graph) export; re-export with nms=False"
        n = anchor_count(input_wh, STRIDES)
        if len(spec.outputs) != 1:
            return f"Ultralytics detect has one output, the model has {len(spec.outputs)}"
        shape = spec.outputs[0].shape
        if len(shape) != 3 or not isinstance(shape[1], int) or shape[1] < 5:
            return f"Ultralytics output is [1,4+classes,{n}]"
        if isinstance(shape[2], int) and shape[2] != n:
            return f"Ultralytics output at {input_wh[0]}x{input_wh[1]} is [1,4+classes,{n}]"
        return None

    def preprocess(self, image_bgr: UInt8Image) -> tuple[FloatArray, Letterbox]:
        canvas, lb = letterbox_centred(image_bgr, self.input_wh, pad_value=114)
        rgb = canvas[:, :, ::-1]
        return to_chw_float(rgb) * np.float32(1 / 255), lb

    def decode(self, outputs: Sequence[np.ndarray], score_threshold: float) -> Candidates:
        pred = outputs[0]
        self._expect_shape(pred, (self._rows, self._anchors), self.spec.outputs[0].name)
        scores = pred[4 + self._person]
        keep = np.flatnonzero(scores >= score_threshold)
        if keep.size == 0:
            return Candidates.empty()
        cx, cy, w, h = pred[0:4, keep].astype(np.float32)
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        return Candidates(boxes, scores[keep].astype(np.float32))
