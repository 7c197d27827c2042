"""Fitting: the floor is recovered from synthetic clicks, wrong clicks found, bad input refused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import calibration
from calibration import ERROR_CODES, CalibrationError
from tests.calibration.synthetic import SyntheticCamera, floor_points, pairs

CAMERAS = [
    SyntheticCamera(pitch_deg=30.0, yaw_deg=0.0),
    SyntheticCamera(pitch_deg=45.0, yaw_deg=20.0, roll_deg=3.0),
    SyntheticCamera(pitch_deg=60.0, yaw_deg=-35.0, height_m=5.0, hfov_deg=90.0),
]


def _map_error_m(cal: calibration.Calibration, cam: SyntheticCamera) -> float:
    """Largest floor error over image points spread where the pairs were clicked."""
    probe = cam.project(floor_points(cam, 200, seed=99, v_min=0.5))
    return float(np.max(np.hypot(*(cal.image_to_ground(probe) - cam.backproject(probe)).T)))


@pytest.mark.parametrize("cam", CAMERAS, ids=lambda c: f"pitch{c.pitch_deg:.0f}")
@pytest.mark.parametrize(("noise_px", "limit_m"), [(0.0, 0.01), (1.0, 0.05)])
def test_fit_recovers_the_floor(cam: SyntheticCamera, noise_px: float, limit_m: float) -> None:
    image, ground = pairs(cam, n=12, noise_px=noise_px)
    cal = calibration.fit(image, ground, cam.resolution_wh)
    assert cal.inliers.all()
    assert cal.residuals_m.shape == (12,)
    assert cal.residuals_m.max() < limit_m
    assert cal.rms_m < limit_m
    assert _map_error_m(cal, cam) < limit_m


@pytest.mark.parametrize("cam", CAMERAS, ids=lambda c: f"pitch{c.pitch_deg:.0f}")
def test_the_pinhole_is_recovered(cam: SyntheticCamera) -> None:
    cal = calibration.fit(*pairs(cam), cam.resolution_wh)
    assert cal.camera is not None
    assert cal.camera.focal_px == pytest.approx(cam.focal_px, rel=1e-4)
    assert cal.camera.height_m == pytest.approx(cam.height_m, rel=1e-4)
    assert cal.camera.tilt_deg == pytest.approx(cam.pitch_deg, abs=0.01)


@pytest.mark.parametrize("noise_px", [0.0, 1.0])
def test_ransac_drops_one_wrong_click_and_flags_it(noise_px: float) -> None:
    cam = CAMERAS[1]
    image, ground = pairs(cam, n=8, noise_px=noise_px)
    typed = ground.copy()
    typed[5] += (1.2, -0.9)  # the integrator typed the wrong coordinates for point 5
    cal = calibration.fit(image, typed, cam.resolution_wh)
    assert cal.outlier_indices == [5]
    assert cal.residuals_m[5] == pytest.approx(1.5, abs=0.05)
    assert np.delete(cal.residuals_m, 5).max() < 0.05
    assert _map_error_m(cal, cam) < 0.05


def test_site_grid_offsets_do_not_hurt() -> None:
    cam = CAMERAS[0]
    image, ground = pairs(cam)
    offset = np.array([51_000.0, 3_200.0])
    cal = calibration.fit(image, ground + offset, cam.resolution_wh)
    assert cal.residuals_m.max() < 1e-3
    back = cal.image_to_ground(image) - offset
    assert np.abs(back - ground).max() < 1e-3


# -- refusals ---------------------------------------------------------------------------

CAM = CAMERAS[1]
IMG, GND = pairs(CAM, n=8)
RES = CAM.resolution_wh
LINE_IMG = np.array([[0.1 + 0.1 * k, 0.6 + 0.03 * k] for k in range(6)])


def _with(arr: np.ndarray, index: int, value: tuple[float, float]) -> np.ndarray:
    out = np.array(arr, dtype=np.float64)
    out[index] = value
    return out


def _sky_click() -> tuple[np.ndarray, np.ndarray]:
    # A camera that sees the horizon at y ~ 0.28; point 2 is clicked above it, in the sky.
    cam = SyntheticCamera(pitch_deg=10.0)
    image, ground = pairs(cam, n=8)
    return _with(image, 2, (0.5, 0.1)), ground


def _two_lines() -> tuple[np.ndarray, np.ndarray]:
    image = np.array([[x, y] for y in (0.55, 0.85) for x in (0.2, 0.5, 0.8)])
    return image, CAM.backproject(image)


def _four_on_a_line_plus_one() -> tuple[np.ndarray, np.ndarray]:
    image = np.array([[0.2, 0.6], [0.4, 0.65], [0.6, 0.7], [0.8, 0.75], [0.5, 0.9]])
    return image, CAM.backproject(image)


def _three_collinear_on_the_ground_only() -> tuple[np.ndarray, np.ndarray]:
    image = np.array([[0.2, 0.6], [0.5, 0.7], [0.8, 0.9], [0.3, 0.95]])
    ground = CAM.backproject(image)
    ground[1] = (ground[0] + ground[2]) / 2  # typed on the line through points 0 and 2
    return image, ground


def _coordinates_in_the_wrong_order() -> tuple[np.ndarray, np.ndarray]:
    image, ground = pairs(CAM, n=12)
    typed = ground.copy()
    typed[5:] = ground[[6, 7, 8, 9, 10, 11, 5]]  # the last 7 typed one row late
    return image, typed


REFUSALS: list[tuple[str, object, object, object, dict[str, float], str]] = [
    ("three pairs", IMG[:3], GND[:3], RES, {}, "too_few_points"),
    ("no pairs", [], [], RES, {}, "too_few_points"),
    ("lengths differ", IMG, GND[:7], RES, {}, "mismatched_lengths"),
    ("nan typed", IMG, _with(GND, 4, (np.nan, 1.0)), RES, {}, "non_finite"),
    ("inf clicked", _with(IMG, 0, (np.inf, 0.5)), GND, RES, {}, "non_finite"),
    ("three numbers a point", np.ones((5, 3)), np.ones((5, 3)), RES, {}, "bad_input"),
    ("not numbers", [["a", "b"]] * 4, GND[:4], RES, {}, "bad_input"),
    ("zero width", IMG, GND, (0, 1080), {}, "bad_input"),
    ("negative threshold", IMG, GND, RES, {"ransac_threshold_m": -1.0}, "bad_input"),
    ("nan max rms", IMG, GND, RES, {"max_rms_m": float("nan")}, "bad_input"),
    ("click outside frame", _with(IMG, 1, (1.2, 0.5)), GND, RES, {}, "out_of_frame"),
    ("same click twice", _with(IMG, 3, tuple(IMG[0])), GND, RES, {}, "duplicate_points"),
    ("same coords twice", IMG, _with(GND, 6, tuple(GND[2])), RES, {}, "duplicate_points"),
    ("all on one line", LINE_IMG, CAM.backproject(LINE_IMG), RES, {}, "collinear"),
    ("four on a line", *_four_on_a_line_plus_one(), RES, {}, "collinear"),
    ("collinear on ground", *_three_collinear_on_the_ground_only(), RES, {}, "collinear"),
    ("click in the sky", *_sky_click(), RES, {}, "horizon"),
    (
        "one wrong of five",
        IMG[:5],
        _with(GND[:5], 2, (GND[2, 0] + 2, GND[2, 1])),
        RES,
        {},
        "too_many_outliers",
    ),
    ("7 of 12 wrong", *_coordinates_in_the_wrong_order(), RES, {}, "too_many_outliers"),
    ("noisy beyond limit", *pairs(CAM, noise_px=1.0), RES, {"max_rms_m": 0.001}, "poor_fit"),
]


@pytest.mark.parametrize(
    ("image", "ground", "res", "options", "code"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_refusals_say_why(
    image: object, ground: object, res: object, options: dict[str, float], code: str
) -> None:
    with pytest.raises(CalibrationError) as err:
        calibration.fit(image, ground, res, **options)  # type: ignore[arg-type]
    assert err.value.code == code
    assert len(str(err.value)) > 20


def test_every_code_but_fit_failed_has_a_case() -> None:
    # fit_failed is OpenCV giving up on pairs that passed every check; no input is known to
    # reach it.
    assert {case[-1] for case in REFUSALS} == set(ERROR_CODES) - {"fit_failed"}


def test_two_lines_of_three_are_in_general_position() -> None:
    # Points 0, 1, 3, 4 (two from each line) have no three on one line: a homography exists.
    image, ground = _two_lines()
    cal = calibration.fit(image, ground, RES)
    assert cal.residuals_m.max() < 1e-3


def test_messages_name_the_points() -> None:
    with pytest.raises(CalibrationError, match="point 2"):
        calibration.fit(*_sky_click(), RES)
    with pytest.raises(CalibrationError, match="points 0 and 3"):
        calibration.fit(_with(IMG, 3, tuple(IMG[0])), GND, RES)


coords = st.floats(-1e3, 1e3, allow_nan=False)
unit = st.floats(0.0, 1.0)


@settings(max_examples=150, deadline=None)
@given(
    data=st.lists(st.tuples(unit, unit, coords, coords), min_size=0, max_size=9),
    snap=st.booleans(),
)
def test_any_input_fits_or_is_refused_with_a_code(
    data: list[tuple[float, float, float, float]], snap: bool
) -> None:
    arr = np.array(data, dtype=np.float64).reshape(-1, 4)
    if snap:  # coarse values make duplicates and collinear triples likely
        arr = np.round(arr * [4, 4, 0.004, 0.004]) / [4, 4, 0.004, 0.004]
    try:
        cal = calibration.fit(arr[:, :2], arr[:, 2:], RES)
    except CalibrationError as err:
        assert err.code in ERROR_CODES
        return
    assert cal.inliers.sum() >= 4
    assert cal.rms_m <= cal.max_rms_m
    assert np.isfinite(cal.image_to_ground(cal.image_points_norm)).all()
