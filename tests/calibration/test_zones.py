"""Metric zones: buffers grown on the floor, feet-to-hazard distances, the floor grid."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

import calibration
from tests.calibration.synthetic import SyntheticCamera, pairs

CAM = SyntheticCamera(pitch_deg=35.0, yaw_deg=0.0, position_xy=(0.0, 0.0), height_m=4.0)
# A 2 m x 2 m hazard on the floor, 6-8 m ahead of the camera.
SQUARE_M = np.array([[-1.0, 6.0], [1.0, 6.0], [1.0, 8.0], [-1.0, 8.0]])
SQUARE_NORM = CAM.project(SQUARE_M)


@pytest.fixture(scope="module")
def cal() -> calibration.Calibration:
    return calibration.fit(*pairs(CAM, n=12), CAM.resolution_wh)


def _densify(points: np.ndarray, per_edge: int = 20) -> np.ndarray:
    t = np.linspace(0.0, 1.0, per_edge, endpoint=False)[:, None]
    nxt = np.roll(points, -1, axis=0)
    return np.concatenate([p + t * (q - p) for p, q in zip(points, nxt, strict=True)])


@pytest.mark.parametrize("buffer_m", [0.5, 1.0, 2.0])
def test_a_buffered_square_is_buffer_m_from_the_original(
    cal: calibration.Calibration, buffer_m: float
) -> None:
    grown = np.array(cal.buffer_polygon_norm(SQUARE_NORM, buffer_m))
    assert ((grown >= 0.0) & (grown <= 1.0)).all()
    hazard = Polygon(SQUARE_M)
    # Vertices lie on the offset curve; straight image edges between them stay within the
    # chord error of a 16-segment quarter circle (0.5 %) inside it.
    vertices = cal.image_to_ground(grown)
    assert np.allclose([hazard.exterior.distance(Point(p)) for p in vertices], buffer_m, atol=1e-5)
    boundary = cal.image_to_ground(_densify(grown))
    d = np.array([hazard.exterior.distance(Point(p)) for p in boundary])
    assert (d <= buffer_m + 1e-5).all() and (d >= buffer_m * 0.995).all()
    assert Polygon(grown).contains(Polygon(SQUARE_NORM))


def test_a_negative_buffer_shrinks_and_can_vanish(cal: calibration.Calibration) -> None:
    shrunk = np.array(cal.buffer_polygon_norm(SQUARE_NORM, -0.5))
    ground = Polygon(cal.image_to_ground(shrunk))
    assert ground.area == pytest.approx(1.0, rel=1e-6)  # 1 m x 1 m
    assert cal.buffer_polygon_norm(SQUARE_NORM, -1.5) == []


def test_a_buffer_past_the_frame_is_cut_to_it(cal: calibration.Calibration) -> None:
    near_edge = CAM.project(np.array([[2.0, 3.5], [3.0, 3.5], [3.0, 4.5], [2.0, 4.5]]))
    grown = np.array(cal.buffer_polygon_norm(near_edge, 5.0))
    assert ((grown >= 0.0) & (grown <= 1.0)).all()
    assert np.isclose(grown, 1.0).any()  # it reaches the frame's edge


FEET_CASES = [
    ("centre", (0.0, 7.0), 0.0),
    ("on the edge", (1.0, 7.0), 0.0),
    ("3 m right", (4.0, 7.0), 3.0),
    ("1.5 m in front", (0.0, 4.5), 1.5),
    ("diagonal", (2.0, 4.0), np.hypot(1.0, 2.0)),
]


@pytest.mark.parametrize(
    ("feet_m", "expected_m"), [c[1:] for c in FEET_CASES], ids=[c[0] for c in FEET_CASES]
)
def test_distance_from_feet_to_a_hazard(
    cal: calibration.Calibration, feet_m: tuple[float, float], expected_m: float
) -> None:
    feet = CAM.project(np.array([feet_m]))[0]
    assert cal.distance_m(feet, SQUARE_NORM) == pytest.approx(expected_m, abs=1e-6)
    box = [feet[0] - 0.02, feet[1] - 0.2, feet[0] + 0.02, feet[1]]
    assert cal.distance_m(box, SQUARE_NORM) == pytest.approx(expected_m, abs=1e-6)


def test_distances_are_vectorised(cal: calibration.Calibration) -> None:
    feet_m = np.array([c[1] for c in FEET_CASES])
    got = cal.distances_m(CAM.project(feet_m), SQUARE_NORM)
    assert np.allclose(got, [c[2] for c in FEET_CASES], atol=1e-6)
    assert np.isnan(cal.distances_m([[0.5, -0.9]], SQUARE_NORM)).all()
    with pytest.raises(ValueError, match="visible floor"):
        cal.distances_m([[0.5, 0.5]], [(0.1, -2.0), (0.9, -2.0), (0.5, -1.5)])


def test_the_grid_is_metric_lines_in_the_frame(cal: calibration.Calibration) -> None:
    grid = cal.ground_grid_norm(1.0)
    assert len(grid) > 10
    for a, b in grid:
        ends = np.array([a, b])
        assert ((ends >= 0.0) & (ends <= 1.0)).all()
        # Straight floor lines are straight image lines: any point on the segment maps to a
        # floor point on the same whole-metre line x = k or y = k.
        ground = cal.image_to_ground(np.array([a, (ends[0] + ends[1]) / 2, b]))
        on_x = np.allclose(ground[:, 0], np.round(ground[0, 0]), atol=1e-6)
        on_y = np.allclose(ground[:, 1], np.round(ground[0, 1]), atol=1e-6)
        assert on_x or on_y
    assert len(cal.ground_grid_norm(0.5, (-2.0, 4.0, 2.0, 8.0))) == 9 + 9
    with pytest.raises(ValueError):
        cal.ground_grid_norm(0.001)


def test_the_grid_lines_cover_what_the_camera_sees(cal: calibration.Calibration) -> None:
    grid = cal.ground_grid_norm(1.0, (-3.0, 4.0, 3.0, 9.0))
    lines = [LineString(seg) for seg in grid]
    # The floor point (0, 6) is a crossing of x = 0 and y = 6, drawn where the camera sees it.
    crossing = Point(*CAM.project(np.array([[0.0, 6.0]]))[0])
    assert sum(line.distance(crossing) < 1e-6 for line in lines) == 2
