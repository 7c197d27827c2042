"""A pinhole camera recovered from the floor homography, for heights above the floor.

With square pixels and the principal point at the image centre, the only unknown intrinsic
is the focal length f. Writing the ground -> pixel homography as H ~ K [r1 r2 t] with
K = diag(f, f, 1) (centred pixels), the columns r1, r2 of a rotation are orthogonal and of
equal length, which gives two equations linear in w = 1/f^2 (Zhang 2000, the image of the
absolute conic):

    h1' W h2 = 0        h1' W h1 - h2' W h2 = 0        W = diag(w, w, 1)

They are solved together in least squares, with the first doubled so that the estimate does not
depend on how the integrator oriented the ground axes. They say nothing about f when the floor
is seen head-on (the camera looks straight down): then `recover` returns None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# Closer than this to looking straight down, f is decided by noise rather than by perspective.
MIN_TILT_FROM_NADIR_DEG = 5.0
# Horizontal fields of view from ~170 deg to ~3 deg; anything outside is a failed estimate.
_F_MIN_WIDTHS, _F_MAX_WIDTHS = 0.05, 20.0


@dataclass(frozen=True, eq=False)
class PinholeCamera:
    """Camera coordinates: x right, y down, z forward; pixels centred on the principal point.

    `axes` holds, as columns in camera coordinates, the ground's x axis, its y axis and the
    unit "up" vector (away from the floor, towards the camera's side), so a ground point
    (X, Y) at height Z is at `axes @ (X, Y, Z) + translation` in camera coordinates.
    """

    focal_px: float
    resolution_wh: tuple[int, int]
    axes: FloatArray
    translation: FloatArray

    @property
    def height_m(self) -> float:
        """Height of the camera's centre above the floor."""
        return float(-self.axes[:, 2] @ self.translation)

    @property
    def tilt_deg(self) -> float:
        """Angle of the optical axis below the horizontal (90 = looking straight down)."""
        return float(np.degrees(np.arcsin(np.clip(-self.axes[2, 2], -1.0, 1.0))))


def recover(ground_to_px: FloatArray, resolution_wh: tuple[int, int]) -> PinholeCamera | None:
    """The camera behind a ground -> pixel homography whose w is positive in front of it."""
    w_px, h_px = resolution_wh
    centre = np.array([[1.0, 0.0, -w_px / 2], [0.0, 1.0, -h_px / 2], [0.0, 0.0, 1.0]])
    h = centre @ ground_to_px
    h = h / np.linalg.norm(h)
    f = _focal_px(h)
    if f is None or not _F_MIN_WIDTHS * w_px <= f <= _F_MAX_WIDTHS * w_px:
        return None
    m = np.diag([1.0 / f, 1.0 / f, 1.0]) @ h
    scale = (np.linalg.norm(m[:, 0]) + np.linalg.norm(m[:, 1])) / 2
    # The nearest pair of orthonormal columns to the (noisy) scaled r1, r2.
    u, _, vt = np.linalg.svd(m[:, :2] / scale, full_matrices=False)
    r12 = u @ vt
    t = m[:, 2] / scale
    up = np.cross(r12[:, 0], r12[:, 1])
    if up @ t > 0:  # the camera centre -R't must be on the "up" side
        up = -up
    if abs(up[2]) > math.cos(math.radians(MIN_TILT_FROM_NADIR_DEG)):
        return None
    return PinholeCamera(f, resolution_wh, np.column_stack([r12, up]), t)


def _focal_px(h: FloatArray) -> float | None:
    a1 = 2.0 * (h[0, 0] * h[0, 1] + h[1, 0] * h[1, 1])
    b1 = 2.0 * h[2, 0] * h[2, 1]
    a2 = h[0, 0] ** 2 + h[1, 0] ** 2 - h[0, 1] ** 2 - h[1, 1] ** 2
    b2 = h[2, 0] ** 2 - h[2, 1] ** 2
    norm = float(np.sum(h[:2, :2] ** 2)) ** 2
    denom = a1 * a1 + a2 * a2
    if not denom > 1e-12 * norm:
        return None
    inv_f2 = -(a1 * b1 + a2 * b2) / denom
    if not inv_f2 > 0:
        return None
    return float(1.0 / math.sqrt(inv_f2))


def heights_m(cam: PinholeCamera, feet_m: FloatArray, top_y_norm: FloatArray) -> FloatArray:
    """Height above the feet whose projection lands on image row `top_y_norm` (NaN if none).

    Solves v(head) = v_top for the head = feet + h * up, which is linear in h:
    f (y_f + h u_y) = v_top (z_f + h u_z). Only the image row is used: the box's top edge
    says how high the head is, not where along that edge it is.
    """
    f = cam.focal_px
    up = cam.axes[:, 2]
    feet = feet_m @ cam.axes[:, :2].T + cam.translation
    v_top = top_y_norm * cam.resolution_wh[1] - cam.resolution_wh[1] / 2
    num = v_top * feet[:, 2] - f * feet[:, 1]
    den = f * up[1] - v_top * up[2]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = num / den
    ok = (
        np.isfinite(h)
        & (feet[:, 2] > 0)
        & (np.abs(den) > 1e-9 * f)
        & (h > 0)
        & (feet[:, 2] + h * up[2] > 0)
    )
    return np.where(ok, h, np.nan)
