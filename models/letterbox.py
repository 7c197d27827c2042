"""Resize-with-padding as each model family was trained, and the inverse box mapping.

Three placements occur in the supported families:
- YOLOX: keep ratio, image at the TOP-LEFT, pad 114 (yolox/data/data_augment.py `preproc`).
- Ultralytics: keep ratio, image CENTRED with integer padding, pad 114 (`LetterBox`).
- NanoDet: keep ratio, image CENTRED by an affine warp with sub-pixel offset, border 0
  (nanodet/data/transform/warp.py `get_resize_matrix(keep_ratio=True)`).
All of them map model-input pixels back to source pixels with src = (inp - pad) / scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

UInt8Image = npt.NDArray[np.uint8]
BoxesF32 = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Letterbox:
    """How a source image was placed in the model input: inp = src * scale + pad."""

    scale: float
    pad_x: float
    pad_y: float
    source_wh: tuple[int, int]

    def to_source(self, boxes_xyxy_in: npt.NDArray[np.floating]) -> BoxesF32:
        """Boxes in model-input pixels → source pixels, clipped to the source image."""
        offset = np.array([self.pad_x, self.pad_y, self.pad_x, self.pad_y], np.float32)
        out = (boxes_xyxy_in.astype(np.float32) - offset) / np.float32(self.scale)
        w, h = self.source_wh
        np.clip(out[:, 0::2], 0, w, out=out[:, 0::2])
        np.clip(out[:, 1::2], 0, h, out=out[:, 1::2])
        return out

    def to_input(self, boxes_xyxy_src: npt.NDArray[np.floating]) -> BoxesF32:
        """Source pixels → model-input pixels (the forward mapping; used by tests)."""
        offset = np.array([self.pad_x, self.pad_y, self.pad_x, self.pad_y], np.float32)
        return (boxes_xyxy_src.astype(np.float32) * np.float32(self.scale) + offset).astype(
            np.float32
        )


def _fit_scale(source_wh: tuple[int, int], input_wh: tuple[int, int]) -> float:
    return min(input_wh[0] / source_wh[0], input_wh[1] / source_wh[1])


def letterbox_top_left(
    image: UInt8Image, input_wh: tuple[int, int], pad_value: int = 114
) -> tuple[UInt8Image, Letterbox]:
    """YOLOX placement: scaled image at the top-left corner, the rest filled with pad_value."""
    h, w = image.shape[:2]
    r = _fit_scale((w, h), input_wh)
    new_w, new_h = max(1, int(w * r)), max(1, int(h * r))
    canvas = np.full((input_wh[1], input_wh[0], 3), pad_value, np.uint8)
    canvas[:new_h, :new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return canvas, Letterbox(r, 0.0, 0.0, (w, h))


def letterbox_centred(
    image: UInt8Image, input_wh: tuple[int, int], pad_value: int = 114
) -> tuple[UInt8Image, Letterbox]:
    """Ultralytics placement: scaled image centred; odd padding goes right/bottom."""
    h, w = image.shape[:2]
    r = _fit_scale((w, h), input_wh)
    new_w, new_h = max(1, round(w * r)), max(1, round(h * r))
    # Ultralytics' own rounding (LetterBox and scale_boxes): round(d/2 - 0.1).
    left = round((input_wh[0] - new_w) / 2 - 0.1)
    top = round((input_wh[1] - new_h) / 2 - 0.1)
    canvas = np.full((input_wh[1], input_wh[0], 3), pad_value, np.uint8)
    resized = (
        image
        if (new_w, new_h) == (w, h)
        else cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    )
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas, Letterbox(r, float(left), float(top), (w, h))


def warp_centred(
    image: UInt8Image, input_wh: tuple[int, int], border_value: int = 0
) -> tuple[UInt8Image, Letterbox]:
    """NanoDet placement: affine scale about the image centre onto the input centre."""
    h, w = image.shape[:2]
    r = _fit_scale((w, h), input_wh)
    tx = 0.5 * input_wh[0] - r * 0.5 * w
    ty = 0.5 * input_wh[1] - r * 0.5 * h
    m = np.array([[r, 0.0, tx], [0.0, r, ty]], np.float64)
    canvas = cv2.warpAffine(
        image,
        m,
        input_wh,
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(border_value, border_value, border_value),
    )
    return np.asarray(canvas, np.uint8), Letterbox(r, tx, ty, (w, h))
