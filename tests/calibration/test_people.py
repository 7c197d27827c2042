"""Person heights from boxes, through the pinhole recovered from the floor homography."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calibration
from tests.calibration.synthetic import SyntheticCamera, floor_points, pairs

PERSON_M = 1.75


@pytest.mark.parametrize("pitch_deg", [30.0, 45.0, 60.0])
@pytest.mark.parametrize(("noise_px", "rel"), [(0.0, 1e-4), (1.0, 0.05)])
def test_a_standing_person_is_175_cm(pitch_deg: float, noise_px: float, rel: float) -> None:
    cam = SyntheticCamera(pitch_deg=pitch_deg, yaw_deg=10.0, roll_deg=2.0)
    cal = calibration.fit(*pairs(cam, noise_px=noise_px), cam.resolution_wh)
    feet = floor_points(cam, 30, seed=7, v_min=0.5)
    heights = cal.person_heights_m(cam.person_box(feet, PERSON_M))
    assert heights.shape == (30,)
    assert np.allclose(heights, PERSON_M, rtol=rel)


@settings(max_examples=30, deadline=None)
@given(
    height_m=st.floats(2.5, 8.0),
    pitch_deg=st.floats(25.0, 65.0),
    yaw_deg=st.floats(-180.0, 180.0),
    hfov_deg=st.floats(45.0, 100.0),
    person_m=st.floats(1.0, 2.0),
)
def test_heights_for_any_mounting(
    height_m: float, pitch_deg: float, yaw_deg: float, hfov_deg: float, person_m: float
) -> None:
    cam = SyntheticCamera(
        height_m=height_m, pitch_deg=pitch_deg, yaw_deg=yaw_deg, hfov_deg=hfov_deg
    )
    cal = calibration.fit(*pairs(cam), cam.resolution_wh)
    boxes = cam.person_box(floor_points(cam, 10, seed=3, v_min=0.6), person_m)
    tall = boxes[:, 3] > boxes[:, 1]
    assert np.allclose(cal.person_heights_m(boxes[tall]), person_m, rtol=1e-3)


def test_one_box_gives_a_float_or_none() -> None:
    cam = SyntheticCamera(pitch_deg=15.0)
    cal = calibration.fit(*pairs(cam), cam.resolution_wh)
    box = cam.person_box(floor_points(cam, 1, seed=4, v_min=0.6), PERSON_M)[0]
    assert cal.person_height_m(box) == pytest.approx(PERSON_M, rel=1e-4)
    assert cal.person_height_m([0.4, 0.0, 0.45, 0.1]) is None  # feet in the sky
    assert cal.person_height_m([0.4, 0.8, 0.45, 0.7]) is None  # upside-down box
    assert cal.person_heights_m(np.empty((0, 4))).shape == (0,)


def test_looking_straight_down_falls_back_to_the_local_scale() -> None:
    cam = SyntheticCamera(pitch_deg=89.9, height_m=4.0)
    cal = calibration.fit(*pairs(cam, n=10, seed=2), cam.resolution_wh)
    assert cal.camera is None
    # At the image centre, looking down from 4 m, a pixel spans 4 / f metres of floor.
    box = [0.48, 0.40, 0.52, 0.50]
    expected = 0.10 * cam.resolution_wh[1] * cam.height_m / cam.focal_px
    assert cal.person_height_m(box) == pytest.approx(expected, rel=0.01)
