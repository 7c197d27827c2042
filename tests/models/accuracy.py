"""Matching detections against ground-truth person boxes (COCO-style greedy, by score)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from models.nms import iou_one_to_many
from models.types import Detections

LARGE_AREA_PX = 64 * 64


@dataclass(frozen=True)
class Tally:
    tp: int
    fp: int
    gt: int
    large_tp: int
    large_gt: int

    @property
    def precision(self) -> float:
        return self.tp / max(1, self.tp + self.fp)

    @property
    def large_recall(self) -> float:
        return self.large_tp / max(1, self.large_gt)


def _match(dets: Detections, gt: np.ndarray, iou_min: float) -> np.ndarray:
    """Per GT box: matched or not. Detections claim their best free GT in score order."""
    matched = np.zeros(len(gt), bool)
    for box in dets.boxes_xyxy_px[np.argsort(-dets.scores)]:
        if not len(gt):
            break
        ious = np.where(matched, -1.0, iou_one_to_many(box, gt))
        best = int(np.argmax(ious))
        if ious[best] >= iou_min:
            matched[best] = True
    return matched


def tally(
    results: Mapping[str, Detections],
    ground_truth: Mapping[str, Sequence[Sequence[float]]],
    iou_min: float = 0.5,
) -> Tally:
    tp = fp = n_gt = large_tp = large_gt = 0
    for name, boxes in ground_truth.items():
        gt = np.asarray(boxes, np.float32).reshape(-1, 4)
        matched = _match(results[name], gt, iou_min)
        large = (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1]) >= LARGE_AREA_PX
        tp += int(matched.sum())
        fp += len(results[name]) - int(matched.sum())
        n_gt += len(gt)
        large_tp += int((matched & large).sum())
        large_gt += int(large.sum())
    return Tally(tp, fp, n_gt, large_tp, large_gt)
