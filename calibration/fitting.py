"""Fit a floor homography to clicked image points and typed floor coordinates.

RANSAC (cv2.findHomography) picks the pairs that agree, then the homography is refitted on
them (OpenCV's least squares with Levenberg-Marquardt, error measured on the floor in metres)
and the inliers are re-decided with the refined map until they settle. Residuals are floor
distances in metres for every pair, kept or not, so the editor can point at a bad click.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from calibration import checks, pinhole, projective
from calibration.errors import CalibrationError
from calibration.model import Calibration

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# A click good to a pixel or two and a taped floor point good to ~2 cm land a few cm apart
# on the floor 5-10 m from a 1080p camera; a wrong click or typo is off by tens of cm.
DEFAULT_RANSAC_THRESHOLD_M = 0.10
DEFAULT_MAX_RMS_M = 0.05
# The visible region is cut this far (at least) from the pairs, so it stays a bounded polygon.
MIN_FAR_M = 1000.0
_REFITS = 5


def fit(
    image_points_norm: ArrayLike,
    ground_points_m: ArrayLike,
    resolution_wh: Sequence[float],
    *,
    ransac_threshold_m: float = DEFAULT_RANSAC_THRESHOLD_M,
    max_rms_m: float = DEFAULT_MAX_RMS_M,
) -> Calibration:
    """Calibrate from >= 4 pairs (6 or more let a wrong click be found and dropped).

    A pair is kept when its residual is at most `ransac_threshold_m`; the fit is refused
    (CalibrationError, see `errors.ERROR_CODES`) when the pairs are degenerate, when a clicked
    point is at or above the fitted horizon, when too few pairs agree, or when the kept pairs'
    rms residual exceeds `max_rms_m` (keep it below the threshold: every kept pair is within
    the threshold, so their rms never exceeds it). With exactly 4 pairs the map passes through
    them all and nothing can be checked.
    """
    res = checks.resolution(resolution_wh)
    for name, value in (("ransac_threshold_m", ransac_threshold_m), ("max_rms_m", max_rms_m)):
        if not (math.isfinite(value) and value > 0):
            raise CalibrationError("bad_input", f"{name} must be a positive number, got {value}")
    img = checks.points_array(image_points_norm, "image_points_norm")
    gnd = checks.points_array(ground_points_m, "ground_points_m")
    img_px = img * np.array(res, dtype=np.float64)
    checks.check_pairs(img_px, img, gnd)
    g_px, inliers = _robust_fit(img_px, gnd, ransac_threshold_m)
    g_px = _facing_camera(g_px, img_px, inliers)
    residuals = np.hypot(*(projective.apply(g_px, img_px) - gnd).T)
    _check_agreement(img_px, gnd, inliers)
    rms = float(np.sqrt(np.mean(residuals[inliers] ** 2)))
    if rms > max_rms_m:
        worst = int(np.argmax(np.where(inliers, residuals, -1.0)))
        raise CalibrationError(
            "poor_fit",
            f"the pairs disagree by {rms:.3f} m rms (limit {max_rms_m} m); the worst is "
            f"point {worst} at {residuals[worst]:.3f} m; check its click and coordinates",
        )
    to_px = np.diag([float(res[0]), float(res[1]), 1.0])
    return _assemble(
        img, gnd, res, g_px @ to_px, residuals, inliers, rms, ransac_threshold_m, max_rms_m
    )


def from_rectangle(
    image_points_norm_4: ArrayLike,
    width_m: float,
    depth_m: float,
    resolution_wh: Sequence[float],
    **options: float,
) -> Calibration:
    """Calibrate from the 4 corners of one floor rectangle of known size.

    The corners are clicked in order around the rectangle (either way round); the first is
    the floor origin, the first edge runs `width_m` along +x, the second `depth_m` along +y.
    Four points pass exactly, so nothing is checked beyond their geometry: prefer `fit` with
    more points where the floor allows.
    """
    img = checks.points_array(image_points_norm_4, "image_points_norm_4")
    if len(img) != 4:
        raise CalibrationError("bad_input", f"a rectangle has 4 corners, got {len(img)} points")
    for name, value in (("width_m", width_m), ("depth_m", depth_m)):
        if not (math.isfinite(value) and value > 0):
            raise CalibrationError("bad_input", f"{name} must be a positive length, got {value}")
    ground = [(0.0, 0.0), (width_m, 0.0), (width_m, depth_m), (0.0, depth_m)]
    return fit(img, ground, resolution_wh, **options)


def from_dict(record: Mapping[str, Any]) -> Calibration:
    """Refit from `Calibration.to_dict()` output; unknown or missing keys are refused."""
    known = {"resolution_wh", "pairs", "ransac_threshold_m", "max_rms_m"}
    if not isinstance(record, Mapping) or not {"resolution_wh", "pairs"} <= set(record) <= known:
        raise CalibrationError(
            "bad_input",
            f"a calibration record has keys {sorted(known)} (pairs, resolution_wh required)",
        )
    try:
        image = [p["image_norm"] for p in record["pairs"]]
        ground = [p["ground_m"] for p in record["pairs"]]
    except (KeyError, TypeError) as exc:
        raise CalibrationError("bad_input", "each pair needs image_norm and ground_m") from exc
    try:
        options = {k: float(record[k]) for k in ("ransac_threshold_m", "max_rms_m") if k in record}
    except (TypeError, ValueError) as exc:
        raise CalibrationError("bad_input", "the thresholds must be numbers (metres)") from exc
    return fit(image, ground, record["resolution_wh"], **options)


def _robust_fit(img_px: FloatArray, gnd: FloatArray, thr: float) -> tuple[FloatArray, BoolArray]:
    # Fitting towards floor coordinates relative to their centroid keeps site-grid offsets
    # (e.g. x = 5000 m) out of the conditioning.
    centroid = gnd.mean(axis=0)
    dst = gnd - centroid
    h, mask = cv2.findHomography(img_px, dst, cv2.RANSAC, thr, maxIters=5000, confidence=0.999)
    if h is None:
        raise CalibrationError("fit_failed", "no homography fits these pairs")
    inliers = mask.ravel().astype(bool)
    for _ in range(_REFITS):
        if inliers.sum() < checks.MIN_PAIRS:
            break
        refined, _ = cv2.findHomography(img_px[inliers], dst[inliers], 0)
        if refined is None:
            raise CalibrationError("fit_failed", "no homography fits the agreeing pairs")
        h = refined
        now = _unsigned_residuals(h, img_px, dst) <= thr
        if (now == inliers).all():
            break
        inliers = now
    shift = np.array([[1.0, 0.0, centroid[0]], [0.0, 1.0, centroid[1]], [0.0, 0.0, 1.0]])
    return shift @ h, inliers


def _unsigned_residuals(h: FloatArray, img_px: FloatArray, dst: FloatArray) -> FloatArray:
    q = projective.homogeneous(img_px) @ h.T
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.hypot(*(q[:, :2] / q[:, 2:3] - dst).T)
    return np.where(np.isfinite(d), d, np.inf)


def _facing_camera(g_px: FloatArray, img_px: FloatArray, inliers: BoolArray) -> FloatArray:
    """Scale the homography so w > 0 in front of the camera; refuse points behind it.

    A homography's overall sign is arbitrary; the kept pairs are on the floor in view, so
    their side of the horizon is the front. Any clicked point on the other side (or on the
    horizon, w = 0) maps to the floor behind the camera: a click in the sky, or clicks and
    coordinates given in a different order.
    """
    w = projective.w_of(g_px, img_px)
    sign = 1.0 if np.sum(np.sign(w[inliers])) >= 0 else -1.0
    g = g_px * sign / np.max(np.abs(w))
    w = projective.w_of(g, img_px)
    behind = np.flatnonzero(~(w > 1e-12))
    if len(behind):
        i = int(behind[0])
        raise CalibrationError(
            "horizon",
            f"point {i} is at or above the horizon of the fitted floor (it would lie behind "
            "the camera); click only floor points, and give the points in the same order in "
            "the image and on the floor",
        )
    return g


def _check_agreement(img_px: FloatArray, gnd: FloatArray, inliers: BoolArray) -> None:
    n, kept = len(inliers), int(inliers.sum())
    if kept < checks.MIN_PAIRS or 2 * kept < n or (kept < n and kept == checks.MIN_PAIRS):
        dropped = [int(i) for i in np.flatnonzero(~inliers)]
        raise CalibrationError(
            "too_many_outliers",
            f"only {kept} of {n} pairs agree on one floor (points {dropped} do not); at least "
            f"{checks.MIN_PAIRS + 1} agreeing pairs and a majority are needed once any is "
            "dropped; check those clicks and coordinates, or add points",
        )
    if not checks.in_general_position(img_px[inliers], gnd[inliers]):
        raise CalibrationError(
            "collinear",
            "the pairs that agree lie (nearly) on one line; add floor points off that line",
        )


def _assemble(
    img: FloatArray,
    gnd: FloatArray,
    res: tuple[int, int],
    g_norm: FloatArray,
    residuals: FloatArray,
    inliers: BoolArray,
    rms: float,
    thr: float,
    max_rms: float,
) -> Calibration:
    centroid = gnd.mean(axis=0)
    far = max(MIN_FAR_M, 10.0 * float(np.max(np.hypot(*(gnd - centroid).T))))
    region = projective.clip_half_plane(projective.UNIT_SQUARE, _far_cut(g_norm, centroid, far))
    h_norm = np.asarray(np.linalg.inv(g_norm), dtype=np.float64)
    to_px = np.diag([float(res[0]), float(res[1]), 1.0])
    camera = pinhole.recover(to_px @ h_norm, res)
    arrays = [img, gnd, g_norm, h_norm, residuals, inliers, region]
    for a in arrays:
        a.setflags(write=False)
    return Calibration(
        resolution_wh=res,
        image_points_norm=img,
        ground_points_m=gnd,
        ransac_threshold_m=float(thr),
        max_rms_m=float(max_rms),
        image_to_ground_h=g_norm,
        ground_to_image_h=h_norm,
        residuals_m=residuals,
        inliers=inliers,
        rms_m=rms,
        camera=camera,
        far_m=far,
        visible_region_norm=region,
        visible_ground_m=_frozen(projective.apply(g_norm, region)),
    )


def _far_cut(g_norm: FloatArray, centroid: FloatArray, far_m: float) -> FloatArray:
    """Half-plane w >= w_far of the frame: there every point maps within `far_m` of centroid.

    A floor point's offset from the centroid is (a - cx w, b - cy w) / w with (a, b, w) linear
    in the image point, so its numerator's length peaks at a corner of the frame.
    """
    rel = np.array([[1.0, 0.0, -centroid[0]], [0.0, 1.0, -centroid[1]], [0.0, 0.0, 1.0]]) @ g_norm
    q = projective.homogeneous(projective.UNIT_SQUARE) @ rel.T
    w_far = float(np.max(np.hypot(q[:, 0], q[:, 1]))) / far_m
    return np.array([g_norm[2, 0], g_norm[2, 1], g_norm[2, 2] - w_far])


def _frozen(a: FloatArray) -> FloatArray:
    a.setflags(write=False)
    return a
