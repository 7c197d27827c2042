"""A known floor rectangle, stored records that refit, immutability, and purity."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

import calibration
from calibration import CalibrationError
from tests.calibration.synthetic import SyntheticCamera, pairs

CAM = SyntheticCamera(pitch_deg=40.0, yaw_deg=25.0)
# A 4 m x 3 m painted bay, corner 0 at floor (1, 2) in the camera's world, edges rotated.
_ANGLE = np.radians(30.0)
_AXES = np.array([[np.cos(_ANGLE), np.sin(_ANGLE)], [-np.sin(_ANGLE), np.cos(_ANGLE)]])
_CORNER0 = CAM.backproject(np.array([[0.35, 0.55]]))[0]
BAY_LOCAL = np.array([[0.0, 0.0], [4.0, 0.0], [4.0, 3.0], [0.0, 3.0]])


def _world(local: np.ndarray) -> np.ndarray:
    return _CORNER0 + local @ _AXES


def test_a_known_rectangle_calibrates_the_floor() -> None:
    corners = CAM.project(_world(BAY_LOCAL))
    cal = calibration.from_rectangle(corners, 4.0, 3.0, CAM.resolution_wh)
    assert np.allclose(cal.image_to_ground(corners), BAY_LOCAL, atol=1e-6)
    probe_local = np.array([[2.0, 1.5], [-1.0, 5.0], [6.0, -0.5]])
    got = cal.image_to_ground(CAM.project(_world(probe_local)))
    assert np.allclose(got, probe_local, atol=1e-6)
    assert cal.camera is not None
    assert cal.camera.height_m == pytest.approx(CAM.height_m, rel=1e-4)


def test_the_rectangle_can_be_clicked_either_way_round() -> None:
    order = [0, 3, 2, 1]  # clockwise instead of anticlockwise: x and y swap roles
    corners = CAM.project(_world(BAY_LOCAL[order]))
    cal = calibration.from_rectangle(corners, 3.0, 4.0, CAM.resolution_wh)
    assert cal.residuals_m.max() < 1e-6
    assert cal.camera is not None


@pytest.mark.parametrize(
    ("points", "width_m", "depth_m"),
    [
        (np.full((3, 2), 0.5), 4.0, 3.0),
        (CAM.project(_world(BAY_LOCAL)), 0.0, 3.0),
        (CAM.project(_world(BAY_LOCAL)), 4.0, float("inf")),
    ],
    ids=["three corners", "zero width", "infinite depth"],
)
def test_a_bad_rectangle_is_refused(points: np.ndarray, width_m: float, depth_m: float) -> None:
    with pytest.raises(CalibrationError) as err:
        calibration.from_rectangle(points, width_m, depth_m, CAM.resolution_wh)
    assert err.value.code == "bad_input"


def test_a_record_round_trips_through_json_and_refits() -> None:
    cal = calibration.fit(*pairs(CAM, noise_px=1.0), CAM.resolution_wh, max_rms_m=0.08)
    record = json.loads(json.dumps(cal.to_dict()))
    assert set(record) == {"resolution_wh", "pairs", "ransac_threshold_m", "max_rms_m"}
    again = calibration.from_dict(record)
    assert np.allclose(again.image_to_ground_h, cal.image_to_ground_h, rtol=1e-9, atol=1e-12)
    assert again.max_rms_m == 0.08


@pytest.mark.parametrize(
    "record",
    [
        {"pairs": []},
        {"resolution_wh": [1920, 1080], "pairs": [], "homography": [[1, 0, 0]] * 3},
        {"resolution_wh": [1920, 1080], "pairs": [{"image_norm": [0.5, 0.5]}]},
        [1, 2, 3],
    ],
    ids=["no resolution", "a typed homography", "pair without ground", "not a mapping"],
)
def test_bad_records_are_refused(record: object) -> None:
    with pytest.raises(CalibrationError) as err:
        calibration.from_dict(record)  # type: ignore[arg-type]
    assert err.value.code == "bad_input"


def test_a_calibration_cannot_be_changed() -> None:
    cal = calibration.fit(*pairs(CAM), CAM.resolution_wh)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cal.rms_m = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        cal.image_to_ground_h[0, 0] = 1.0


ALLOWED = {
    "__future__",
    "calibration",
    "collections",
    "cv2",
    "dataclasses",
    "math",
    "numpy",
    "shapely",
    "typing",
}


def test_calibration_package_is_pure() -> None:
    root = Path(__file__).resolve().parents[2] / "calibration"
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] in ALLOWED, f"{path.name} imports {name}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"open", "print"}, f"{path.name} calls {node.func.id}"
