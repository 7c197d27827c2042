"""Maps both ways, the horizon, and polygons cut to the part of the floor in view."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

import calibration
from tests.calibration.synthetic import SyntheticCamera, pairs

cameras = st.builds(
    SyntheticCamera,
    height_m=st.floats(2.5, 8.0),
    pitch_deg=st.floats(25.0, 70.0),
    yaw_deg=st.floats(-180.0, 180.0),
    roll_deg=st.floats(-5.0, 5.0),
    hfov_deg=st.floats(40.0, 100.0),
    position_xy=st.tuples(st.floats(-50.0, 50.0), st.floats(-50.0, 50.0)),
)
unit = st.floats(0.0, 1.0)


def _below_horizon(cam: SyntheticCamera, u: float, t: float) -> tuple[float, float]:
    """Image point at column u, a fraction t of the way from just below the horizon down."""
    top = max(0.0, cam.horizon_y_norm(u) + 0.05)
    return u, top + t * (1.0 - top)


@settings(max_examples=40, deadline=None)
@given(cam=cameras, uv=st.lists(st.tuples(unit, unit), min_size=1, max_size=20))
def test_image_ground_image_is_the_identity(
    cam: SyntheticCamera, uv: list[tuple[float, float]]
) -> None:
    cal = calibration.fit(*pairs(cam), cam.resolution_wh)
    image = np.array([_below_horizon(cam, u, t) for u, t in uv])
    ground = cal.image_to_ground(image)
    assert np.isfinite(ground).all()
    assert np.allclose(cal.ground_to_image(ground), image, atol=1e-9)
    assert np.allclose(ground, cam.backproject(image), rtol=1e-5, atol=1e-4)


@settings(max_examples=40, deadline=None)
@given(cam=cameras, uv=st.lists(st.tuples(unit, unit), min_size=1, max_size=20))
def test_ground_image_ground_is_the_identity(
    cam: SyntheticCamera, uv: list[tuple[float, float]]
) -> None:
    cal = calibration.fit(*pairs(cam), cam.resolution_wh)
    ground = cam.backproject(np.array([_below_horizon(cam, u, t) for u, t in uv]))
    image = cal.ground_to_image(ground)
    assert np.allclose(image, cam.project(ground), atol=1e-6)
    assert np.allclose(cal.image_to_ground(image), ground, rtol=1e-9, atol=1e-9)


LOW = SyntheticCamera(pitch_deg=12.0, yaw_deg=15.0)  # sees the horizon at y ~ 0.22
STEEP = SyntheticCamera(pitch_deg=50.0)  # the horizon is above the frame


@pytest.fixture(scope="module")
def low() -> calibration.Calibration:
    return calibration.fit(*pairs(LOW), LOW.resolution_wh)


def test_beyond_the_horizon_is_nan(low: calibration.Calibration) -> None:
    out = low.image_to_ground([[0.5, 0.05], [0.5, 0.9]])
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()
    behind = np.array(LOW.position_xy) - (np.sin(np.radians(15.0)), np.cos(np.radians(15.0)))
    assert np.isnan(low.ground_to_image([behind])).all()
    assert low.image_to_ground(np.empty((0, 2))).shape == (0, 2)


def test_horizon_where_the_camera_sees_it(low: calibration.Calibration) -> None:
    assert low.horizon_y_norm == pytest.approx(LOW.horizon_y_norm(0.5), abs=1e-5)
    seg = low.horizon_segment_norm()
    assert seg is not None
    for x, y in seg:
        assert 0.0 <= x <= 1.0 and y == pytest.approx(LOW.horizon_y_norm(x), abs=1e-5)
    steep = calibration.fit(*pairs(STEEP), STEEP.resolution_wh)
    assert steep.horizon_segment_norm() is None
    assert steep.horizon_y_norm == pytest.approx(STEEP.horizon_y_norm(0.5), rel=1e-4)
    assert steep.horizon_y_norm is not None and steep.horizon_y_norm < 0


def test_visible_region_is_the_frame_below_the_horizon(low: calibration.Calibration) -> None:
    region = Polygon(low.visible_region_norm)
    assert region.within(Polygon([(0, 0), (1, 0), (1, 1), (0, 1)]).buffer(1e-12))
    assert region.contains(Point(0.5, 0.6))
    assert not region.intersects(Point(0.5, LOW.horizon_y_norm(0.5) - 0.01))
    assert np.isfinite(low.visible_ground_m).all()


def test_a_floor_square_around_the_camera_is_drawn_as_its_part_in_view(
    low: calibration.Calibration,
) -> None:
    # 40 m square centred under the camera: half of it is behind, most of it out of frame.
    square = np.array([[-20.0, -20.0], [20.0, -20.0], [20.0, 20.0], [-20.0, 20.0]])
    square += LOW.position_xy
    drawn = np.array(low.ground_polygon_to_image(square))
    assert len(drawn) >= 3
    assert ((drawn >= 0.0) & (drawn <= 1.0)).all()
    assert (drawn[:, 1] >= LOW.horizon_y_norm(0.5) - 0.01).all()
    back = low.image_to_ground(drawn)
    assert Polygon(square).buffer(1e-6).contains(Polygon(back))
    # It covers the whole bottom of the frame, where the floor near the camera is.
    assert Polygon(drawn).contains(Point(0.5, 0.95))


def test_a_floor_zone_entirely_behind_the_camera_is_not_drawn(
    low: calibration.Calibration,
) -> None:
    ahead = np.array([np.sin(np.radians(15.0)), np.cos(np.radians(15.0))])
    centre = np.array(LOW.position_xy) - 10 * ahead
    square = centre + np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    assert low.ground_polygon_to_image(square) == []


def test_an_image_zone_reaching_into_the_sky_maps_to_its_floor_part(
    low: calibration.Calibration,
) -> None:
    zone = [(0.3, 0.05), (0.7, 0.05), (0.7, 0.9), (0.3, 0.9)]
    ground = np.array(low.image_polygon_to_ground(zone))
    assert np.isfinite(ground).all() and len(ground) >= 4
    assert np.hypot(*(ground - LOW.position_xy).T).max() <= low.far_m + 100.0
    assert low.image_polygon_to_ground([(0.3, 0.0), (0.7, 0.0), (0.5, 0.1)]) == []


def test_bottom_centre_of_a_box_is_the_floor_position(low: calibration.Calibration) -> None:
    boxes = np.array([[0.40, 0.50, 0.46, 0.80], [0.10, 0.60, 0.20, 0.95]])
    feet = np.array([[0.43, 0.80], [0.15, 0.95]])
    assert np.allclose(low.ground_position_m(boxes), LOW.backproject(feet), atol=1e-5)
    assert low.ground_position_m([0.40, 0.50, 0.46, 0.80]).shape == (1, 2)


@pytest.mark.parametrize("bad", [[(0.1, 0.1), (0.2, 0.2)], [(0, 0), (1, 1), (1, 0), (0, 1)]])
def test_bad_polygons_are_refused(low: calibration.Calibration, bad: list) -> None:
    with pytest.raises(ValueError):
        low.image_polygon_to_ground(bad)
