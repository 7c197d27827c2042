"""A pinhole camera of known intrinsics and pose, to project floor points and people.

World: x, y on the floor, z up, metres. Camera: x right, y down, z forward; principal point
at the image centre, square pixels (what the calibration assumes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SyntheticCamera:
    height_m: float = 3.5
    pitch_deg: float = 45.0  # below the horizontal
    yaw_deg: float = 20.0  # heading on the floor, from +y towards +x
    roll_deg: float = 0.0
    hfov_deg: float = 70.0
    resolution_wh: tuple[int, int] = (1920, 1080)
    position_xy: tuple[float, float] = (2.0, -3.0)
    rotation: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        p, y, r = (math.radians(a) for a in (self.pitch_deg, self.yaw_deg, self.roll_deg))
        forward = np.array([math.cos(p) * math.sin(y), math.cos(p) * math.cos(y), -math.sin(p)])
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        right, down = (
            math.cos(r) * right + math.sin(r) * down,
            -math.sin(r) * right + math.cos(r) * down,
        )
        object.__setattr__(self, "rotation", np.stack([right, down, forward]))

    @property
    def focal_px(self) -> float:
        return self.resolution_wh[0] / 2 / math.tan(math.radians(self.hfov_deg) / 2)

    @property
    def centre(self) -> FloatArray:
        return np.array([*self.position_xy, self.height_m])

    def project(self, world: FloatArray) -> FloatArray:
        """(N, 3) world points (or (N, 2) floor points) -> (N, 2) normalised image points."""
        world = np.asarray(world, dtype=np.float64)
        if world.shape[1] == 2:
            world = np.column_stack([world, np.zeros(len(world))])
        cam = (world - self.centre) @ self.rotation.T
        w, h = self.resolution_wh
        u = self.focal_px * cam[:, 0] / cam[:, 2] + w / 2
        v = self.focal_px * cam[:, 1] / cam[:, 2] + h / 2
        return np.column_stack([u / w, v / h])

    def depth(self, world_xy: FloatArray) -> FloatArray:
        world = np.column_stack([world_xy, np.zeros(len(world_xy))])
        return np.asarray((world - self.centre) @ self.rotation[2], dtype=np.float64)

    def backproject(self, points_norm: FloatArray) -> FloatArray:
        """(N, 2) normalised image points -> (N, 2) floor points (NaN above the horizon)."""
        w, h = self.resolution_wh
        pts = np.asarray(points_norm, dtype=np.float64)
        rays_cam = np.column_stack(
            [
                (pts[:, 0] * w - w / 2) / self.focal_px,
                (pts[:, 1] * h - h / 2) / self.focal_px,
                np.ones(len(pts)),
            ]
        )
        rays = rays_cam @ self.rotation
        with np.errstate(divide="ignore", invalid="ignore"):
            s = -self.height_m / rays[:, 2]
        out = self.centre[:2] + s[:, None] * rays[:, :2]
        return np.where((s > 0)[:, None], out, np.nan)

    def horizon_y_norm(self, x_norm: float = 0.5) -> float:
        """Image row of the horizon (where forward rays are level) at column x_norm."""
        w, h = self.resolution_wh
        # Level rays satisfy (ray_cam @ R)[2] == 0, a line in the image.
        a, b, c = self.rotation[:, 2]
        x_c = (x_norm * w - w / 2) / self.focal_px
        return ((-(a * x_c + c) / b) * self.focal_px + h / 2) / h

    def person_box(
        self, feet_xy: FloatArray, height_m: float, half_width_norm: float = 0.02
    ) -> FloatArray:
        """(N, 4) boxes: bottom centre at the feet, top edge at the projected head."""
        feet_xy = np.asarray(feet_xy, dtype=np.float64)
        feet = self.project(feet_xy)
        head = self.project(np.column_stack([feet_xy, np.full(len(feet_xy), height_m)]))
        return np.column_stack(
            [feet[:, 0] - half_width_norm, head[:, 1], feet[:, 0] + half_width_norm, feet[:, 1]]
        )


def floor_points(cam: SyntheticCamera, n: int, seed: int, v_min: float = 0.45) -> FloatArray:
    """n floor points seen by `cam`, spread over the lower part of the frame."""
    rng = np.random.default_rng(seed)
    img = np.column_stack([rng.uniform(0.05, 0.95, n), rng.uniform(v_min, 0.97, n)])
    return cam.backproject(img)


def pairs(
    cam: SyntheticCamera, n: int = 12, seed: int = 1, noise_px: float = 0.0
) -> tuple[FloatArray, FloatArray]:
    """(image_points_norm, ground_points_m): n floor points, clicks with Gaussian pixel noise."""
    ground = floor_points(cam, n, seed)
    image = cam.project(ground)
    if noise_px:
        rng = np.random.default_rng(seed + 1000)
        image = image + rng.normal(0.0, noise_px, image.shape) / np.array(cam.resolution_wh)
    return np.clip(image, 0.0, 1.0), ground
