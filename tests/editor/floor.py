"""A synthetic camera's view of a floor with a 1 m grid, as a video a file camera plays.

The camera is tests/calibration/synthetic.py's pinhole (known height, tilt, heading), so
every grid crossing's image point is known exactly: a calibration clicked on these crossings
and typed in metres must fit with residuals of a click's error.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tests.calibration.synthetic import SyntheticCamera

CAMERA = SyntheticCamera(height_m=3.5, pitch_deg=40.0, yaw_deg=0.0, hfov_deg=70.0,
                         resolution_wh=(1280, 720), position_xy=(0.0, -3.0))
# Floor crossings (metres) that the test clicks: near the camera, spread over the frame.
CLICKED_M = [(-2.0, -1.0), (2.0, -1.0), (-2.0, 2.0), (2.0, 2.0), (-1.0, 4.0), (1.0, 4.0)]


def image_point(ground_m: tuple[float, float]) -> tuple[float, float]:
    x, y = CAMERA.project(np.array([ground_m], dtype=np.float64))[0]
    return float(x), float(y)


def render() -> np.ndarray:
    w, h = CAMERA.resolution_wh
    img = np.full((h, w, 3), (70, 80, 90), np.uint8)
    for k in range(-10, 21):
        for line in (_segment((k, -3.0), (k, 20.0)), _segment((-10.0, k), (20.0, k))):
            if len(line) > 1:
                cv2.polylines(img, [line], False, (210, 210, 210), 2, cv2.LINE_AA)
    for gx, gy in CLICKED_M:
        u, v = image_point((gx, gy))
        cv2.circle(img, (round(u * w), round(v * h)), 9, (0, 200, 255), 2, cv2.LINE_AA)
    return img


def _segment(a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Image pixels of a floor segment, sampled finely, only where it is in front."""
    w, h = CAMERA.resolution_wh
    t = np.linspace(0.0, 1.0, 400)[:, None]
    pts = np.array(a) * (1 - t) + np.array(b) * t
    front = CAMERA.depth(pts) > 0.3
    uv = CAMERA.project(pts[front]) * np.array([w, h])
    inside = (uv[:, 0] > -w) & (uv[:, 0] < 2 * w) & (uv[:, 1] > -h) & (uv[:, 1] < 2 * h)
    return np.rint(uv[inside]).astype(np.int32)


def write_video(path: Path, seconds: float = 4.0, fps: int = 5) -> Path:
    img = render()
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height = CAMERA.resolution_wh
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(fps)}
        for _ in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
