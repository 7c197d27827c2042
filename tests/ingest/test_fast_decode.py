"""Cheaper analysis decoding keeps the detections: the accuracy guard of each lever.

Decoding without the deblocking filter (live substreams) must find the same people: on the
vtest and one-by-one clips, at least 98 % of the boxes found with full decoding are found
again at IoU >= 0.7 (and no more than 2 % new ones appear).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edge.core.frames import Frame
from edge.replay import FileSource
from models.detector import Detector
from models.types import Detections

MATCH_IOU = 0.7
MIN_MATCHED = 0.98


def _detections(video: Path, det: Detector, skip_loop_filter: bool) -> list[Detections]:
    src = FileSource(video, 1.0, fit_wh=det.info.input_wh, skip_loop_filter=skip_loop_filter)
    return [det.detect(f.image_bgr) for f in src.packets_and_frames() if isinstance(f, Frame)]


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return np.asarray(inter / (area_a[:, None] + area_b[None, :] - inter), dtype=np.float64)


def matched_share(reference: list[Detections], other: list[Detections]) -> tuple[float, float]:
    """(share of reference boxes found again, share of other boxes that are new)."""
    found = total = new = total_other = 0
    for ref, oth in zip(reference, other, strict=True):
        total, total_other = total + len(ref), total_other + len(oth)
        if len(ref) and len(oth):
            iou = _iou(ref.boxes_xyxy_px, oth.boxes_xyxy_px)
            found += int((iou.max(axis=1) >= MATCH_IOU).sum())
            new += int((iou.max(axis=0) < MATCH_IOU).sum())
        else:
            new += len(oth)
    return found / max(1, total), new / max(1, total_other)


@pytest.mark.parametrize("clip", ["vtest_480x360.mp4", "one-by-one-person-detection.mp4"])
def test_decoding_without_the_loop_filter_finds_the_same_people(assets: Path, clip: str) -> None:
    det = Detector.open(assets / "models" / "yolox_nano.onnx")
    video = assets / "video" / clip
    full = _detections(video, det, skip_loop_filter=False)
    fast = _detections(video, det, skip_loop_filter=True)
    assert len(full) == len(fast) and sum(map(len, full)) > 50
    found, new = matched_share(full, fast)
    assert found >= MIN_MATCHED, found
    assert new <= 1 - MIN_MATCHED, new
