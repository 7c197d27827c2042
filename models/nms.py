"""Greedy non-maximum suppression for one class, vectorised per kept box."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def iou_one_to_many(
    box: npt.NDArray[np.float32], boxes: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """IoU of one xyxy box against many."""
    ix1 = np.maximum(box[0], boxes[:, 0])
    iy1 = np.maximum(box[1], boxes[:, 1])
    ix2 = np.minimum(box[2], boxes[:, 2])
    iy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-9), 0.0).astype(np.float32)


def nms(
    boxes_xyxy: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    iou_threshold: float,
    max_candidates: int = 3000,
) -> npt.NDArray[np.intp]:
    """Indices of kept boxes, highest score first.

    Candidates beyond `max_candidates` (by score) are dropped first, which bounds the
    worst case when a very low score threshold lets thousands of anchors through.
    """
    order = np.argsort(-scores, kind="stable")[:max_candidates]
    keep: list[int] = []
    while order.size:
        i = int(order[0])
        keep.append(i)
        if order.size == 1:
            break
        rest = order[1:]
        order = rest[iou_one_to_many(boxes_xyxy[i], boxes_xyxy[rest]) <= iou_threshold]
    return np.asarray(keep, dtype=np.intp)
