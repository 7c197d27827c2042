"""Image <-> floor homography of a fixed camera: metric zones, buffers and person heights.

Pure: numpy, OpenCV and shapely only; no I/O, clock or logging. Image points are normalised
(x, y in [0, 1], origin top-left); floor points are metres in whatever axes the integrator
typed. Fit from >= 4 clicked floor points with their floor coordinates:

    cal = calibration.fit(image_points_norm, ground_points_m, (1920, 1080))
    cal.image_to_ground(points_norm)          # (N, 2) metres
    cal.person_heights_m(boxes_xyxy_norm)     # (N,) metres
    cal.buffer_polygon_norm(zone_points, 1.5) # zone grown by 1.5 m on the floor

Refusals raise `CalibrationError` with a stable `code` (see docs/calibration.md).
"""

from calibration.errors import ERROR_CODES, CalibrationError, ErrorCode
from calibration.fitting import (
    DEFAULT_MAX_RMS_M,
    DEFAULT_RANSAC_THRESHOLD_M,
    fit,
    from_dict,
    from_rectangle,
)
from calibration.model import Calibration
from calibration.pinhole import PinholeCamera
from calibration.regions import Point, Segment

__all__ = [
    "DEFAULT_MAX_RMS_M",
    "DEFAULT_RANSAC_THRESHOLD_M",
    "ERROR_CODES",
    "Calibration",
    "CalibrationError",
    "ErrorCode",
    "PinholeCamera",
    "Point",
    "Segment",
    "fit",
    "from_dict",
    "from_rectangle",
]
