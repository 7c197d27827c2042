"""NanoDet (legacy v0.x, GFL head): per-stride outputs cls_pred_stride_S and dis_pred_stride_S."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from models.adapters.base import (
    Adapter,
    Candidates,
    FloatArray,
    ModelSpec,
    UInt8Image,
    grid_cells,
    person_class_index,
)
from models.letterbox import Letterbox, warp_centred

REG_MAX = 7
BINS = REG_MAX + 1
MEAN_BGR = np.array([103.53, 116.28, 123.675], np.float32)
STD_BGR = np.array([57.375, 57.12, 58.395], np.float32)
_NAME = re.compile(r"^(cls|dis)_pred_stride_(\d+)$")


def _heads(spec: ModelSpec) -> dict[int, tuple[int, int]] | None:
    """stride → (index of class output, index of distance output), from the output names."""
    found: dict[str, dict[int, int]] = {"cls": {}, "dis": {}}
    for i, out in enumerate(spec.outputs):
        m = _NAME.match(out.name)
        if m is None:
            return None
        found[m.group(1)][int(m.group(2))] = i
    if not found["cls"] or found["cls"].keys() != found["dis"].keys():
        return None
    return {s: (found["cls"][s], found["dis"][s]) for s in sorted(found["cls"])}


class NanoDetAdapter(Adapter):
    """Trained on BGR normalised with mean/std; the image is scaled keeping its aspect ratio
    and centred by an affine warp with a black (0) border, exactly as nanodet's
    `warp_and_resize(keep_ratio=True)` (the nanodet-m-416 config sets keep_ratio: True).
    Class scores come out as sigmoids; boxes are 4 distances, each an 8-bin distribution
    whose softmax expectation times the stride is the distance from the cell centre
    ((col + 0.5) * stride, as in nanodet's GFL head).
    """

    name = "nanodet"

    def __init__(self, spec: ModelSpec, input_wh: tuple[int, int]) -> None:
        super().__init__(spec, input_wh)
        heads = _heads(spec)
        assert heads is not None  # mismatch() has been checked before construction
        self._heads = heads
        self._cells = dict(zip(heads, grid_cells(input_wh, list(heads)), strict=True))
        cls_index = heads[min(heads)][0]
        self._classes = int(spec.outputs[cls_index].shape[2])  # type: ignore[arg-type]
        self._person = person_class_index(spec, self._classes)
        self._centres = {s: self._centre_grid(s) for s in heads}

    def _centre_grid(self, stride: int) -> FloatArray:
        cols, rows = self._cells[stride]
        gx, gy = np.meshgrid(np.arange(cols), np.arange(rows))
        xy = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
        return (xy + 0.5) * np.float32(stride)

    @classmethod
    def mismatch(cls, spec: ModelSpec, input_wh: tuple[int, int]) -> str | None:
        heads = _heads(spec)
        if heads is None:
            return (
                "NanoDet outputs are cls_pred_stride_S [1,N,classes] and "
                f"dis_pred_stride_S [1,N,{4 * BINS}]"
            )
        cells = grid_cells(input_wh, list(heads))
        for (s, (ci, di)), (cols, rows) in zip(heads.items(), cells, strict=True):
            cs, ds = spec.outputs[ci].shape, spec.outputs[di].shape
            n = cols * rows
            if len(cs) != 3 or len(ds) != 3 or ds[2] != 4 * BINS or not isinstance(cs[2], int):
                return f"NanoDet stride {s}: expected [1,{n},classes] and [1,{n},{4 * BINS}]"
            if any(isinstance(x[1], int) and x[1] != n for x in (cs, ds)):
                return f"NanoDet stride {s} at {input_wh[0]}x{input_wh[1]} has {n} cells"
        return None

    def preprocess(self, image_bgr: UInt8Image) -> tuple[FloatArray, Letterbox]:
        canvas, lb = warp_centred(image_bgr, self.input_wh, border_value=0)
        norm = (canvas.astype(np.float32) - MEAN_BGR) / STD_BGR
        return np.ascontiguousarray(norm.transpose(2, 0, 1)), lb

    def decode(self, outputs: Sequence[np.ndarray], score_threshold: float) -> Candidates:
        parts: list[Candidates] = []
        project = np.arange(BINS, dtype=np.float32)
        for stride, (ci, di) in self._heads.items():
            cls_pred, dis_pred = outputs[ci], outputs[di]
            n = self._centres[stride].shape[0]
            self._expect_shape(cls_pred, (n, self._classes), self.spec.outputs[ci].name)
            self._expect_shape(dis_pred, (n, 4 * BINS), self.spec.outputs[di].name)
            scores = cls_pred[:, self._person]
            keep = np.flatnonzero(scores >= score_threshold)
            if keep.size == 0:
                continue
            logits = dis_pred[keep].reshape(-1, 4, BINS).astype(np.float32)
            logits -= logits.max(axis=2, keepdims=True)
            prob = np.exp(logits)
            prob /= prob.sum(axis=2, keepdims=True)
            dist = (prob @ project) * np.float32(stride)  # (K, 4): left, top, right, bottom
            c = self._centres[stride][keep]
            boxes = np.concatenate([c - dist[:, 0:2], c + dist[:, 2:4]], axis=1)
            parts.append(Candidates(boxes.astype(np.float32), scores[keep].astype(np.float32)))
        return Candidates.concat(parts)
