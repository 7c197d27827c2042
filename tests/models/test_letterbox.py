"""Placement of a non-square image in the model input, and the mapping back to source pixels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from models.letterbox import (
    Letterbox,
    letterbox_centred,
    letterbox_top_left,
    warp_centred,
)

Placement = Callable[[np.ndarray, tuple[int, int]], tuple[np.ndarray, Letterbox]]
PLACEMENTS: dict[str, Placement] = {
    "yolox_top_left": lambda im, wh: letterbox_top_left(im, wh, 114),
    "ultralytics_centred": lambda im, wh: letterbox_centred(im, wh, 114),
    "nanodet_warp": lambda im, wh: warp_centred(im, wh, 0),
}


def _white_box_image(size_wh: tuple[int, int], box: tuple[int, int, int, int]) -> np.ndarray:
    image = np.zeros((size_wh[1], size_wh[0], 3), np.uint8)
    x1, y1, x2, y2 = box
    image[y1:y2, x1:x2] = 255
    return image


def _bright_extent(canvas: np.ndarray) -> np.ndarray:
    """xyxy extent (pixel edges) of pixels brighter than mid-grey; pad 114 and 0 stay below."""
    ys, xs = np.nonzero(canvas[:, :, 0] > 127)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize(
    ("size_wh", "box", "input_wh"),
    [
        ((320, 120), (80, 30, 200, 90), (64, 64)),  # landscape → bands top/bottom
        ((120, 320), (30, 80, 90, 240), (64, 64)),  # portrait → bands left/right
        ((300, 200), (40, 60, 260, 180), (96, 64)),  # non-square model input
    ],
)
def test_box_lands_where_the_pixels_went_and_maps_back(
    placement: str,
    size_wh: tuple[int, int],
    box: tuple[int, int, int, int],
    input_wh: tuple[int, int],
) -> None:
    canvas, lb = PLACEMENTS[placement](_white_box_image(size_wh, box), input_wh)
    assert canvas.shape == (input_wh[1], input_wh[0], 3)
    assert canvas.dtype == np.uint8
    src = np.array([box], np.float32)
    in_input = lb.to_input(src)[0]
    # Within ~1 input pixel: resampling blurs one pixel at each edge of the white box.
    np.testing.assert_allclose(in_input, _bright_extent(canvas), atol=1.0)
    np.testing.assert_allclose(lb.to_source(lb.to_input(src)), src, atol=1e-3)


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_boxes_are_clipped_to_the_source_image(placement: str) -> None:
    _, lb = PLACEMENTS[placement](np.zeros((100, 200, 3), np.uint8), (64, 64))
    outside = lb.to_input(np.array([[-50, -20, 260, 130]], np.float32))
    np.testing.assert_allclose(lb.to_source(outside), [[0, 0, 200, 100]], atol=1e-3)


def test_yolox_pads_bottom_right_with_114() -> None:
    canvas, lb = letterbox_top_left(np.full((50, 100, 3), 200, np.uint8), (64, 64))
    assert (lb.pad_x, lb.pad_y, lb.scale) == (0.0, 0.0, 0.64)
    assert (canvas[:32] == 200).all()  # int(50 * 0.64) = 32 rows of image at the top
    assert (canvas[32:] == 114).all()


def test_ultralytics_centres_with_its_rounding() -> None:
    canvas, lb = letterbox_centred(np.full((50, 100, 3), 200, np.uint8), (64, 64))
    # 100x50 → 64x32 (round(50*0.64)); 32 rows of padding split 16 / 16.
    assert (lb.pad_x, lb.pad_y) == (0.0, 16.0)
    assert (canvas[:16] == 114).all() and (canvas[48:] == 114).all()
    assert (canvas[16:48] == 200).all()


def test_nanodet_warp_keeps_ratio_about_the_centre_with_black_border() -> None:
    canvas, lb = warp_centred(np.full((50, 100, 3), 200, np.uint8), (64, 64))
    assert lb.scale == pytest.approx(0.64)
    assert (lb.pad_x, lb.pad_y) == pytest.approx((0.0, 16.0))
    assert (canvas[:15] == 0).all() and (canvas[49:] == 0).all()
    assert (canvas[17:47] == 200).all()
