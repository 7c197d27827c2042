"""Floor calibration from the editor: clicked points and their metres, fitted, shown, saved.

    POST   /api/cameras/{id}/calibration/fit   the fit only (nothing saved)
    PUT    /api/cameras/{id}/calibration       fitted and saved into cameras[].calibration
    DELETE /api/cameras/{id}/calibration?version=

Body: {image_points_norm, ground_points_m} (4 or more pairs) or {image_points_norm (4
corners in order), width_m, depth_m} (one known floor rectangle: calibration.from_rectangle),
optionally resolution_wh (default: the camera's stream), ransac_threshold_m, max_rms_m,
person_height_m [min, max], grid_m (default 1); PUT also `version`.
Answer: {residuals_m, rms_m, inliers, outliers, grid: [[[x, y], [x, y]], ...] (floor lines
every grid_m metres, as image segments), horizon, camera_height_m, tilt_deg, pairs}; a
refusal is 422 {detail, code} with the calibration package's code (too_few_points,
collinear, poor_fit, ...; docs/calibration.md).
"""

from __future__ import annotations

import json
import math
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

import calibration
from calibration import Calibration, CalibrationError
from console.roles import Action
from console.web.security import Principal, require
from edge.web.deps import EditorDeps
from edge.web.service import set_camera_key
from edge.web.zones_api import save

zones_role = Depends(require(Action.ZONES))
Pair = tuple[float, float]


class CalibrationIn(BaseModel):
    image_points_norm: list[Pair] = Field(min_length=1, max_length=200)
    ground_points_m: list[Pair] | None = None
    width_m: float | None = Field(default=None, gt=0)
    depth_m: float | None = Field(default=None, gt=0)
    resolution_wh: tuple[int, int] | None = None
    ransac_threshold_m: float | None = Field(default=None, gt=0, le=5)
    max_rms_m: float | None = Field(default=None, gt=0, le=5)
    person_height_m: Pair | None = None
    grid_m: float = Field(default=1.0, gt=0.05, le=100)


class CalibrationSave(CalibrationIn):
    version: str = Field(min_length=64, max_length=64)


def fit(body: CalibrationIn, resolution_wh: tuple[int, int]) -> tuple[Calibration,
                                                                      list[Pair]]:
    """The calibration and the floor points it was fitted to (a rectangle's corners)."""
    options = {k: v for k, v in (("ransac_threshold_m", body.ransac_threshold_m),
                                 ("max_rms_m", body.max_rms_m)) if v is not None}
    if body.ground_points_m is None:
        if body.width_m is None or body.depth_m is None:
            raise CalibrationError("bad_input", "give ground_points_m, or width_m and depth_m "
                                   "of the rectangle whose 4 corners were clicked")
        cal = calibration.from_rectangle(body.image_points_norm, body.width_m, body.depth_m,
                                         resolution_wh, **options)
    else:
        cal = calibration.fit(body.image_points_norm, body.ground_points_m, resolution_wh,
                              **options)
    ground = [(float(x), float(y)) for x, y in cal.ground_points_m]
    return cal, ground


def describe(cal: Calibration, grid_m: float) -> dict[str, Any]:
    try:
        grid = cal.ground_grid_norm(grid_m)
    except ValueError:  # too many lines at this spacing: none drawn
        grid = []
    horizon = cal.horizon_segment_norm()
    cam = cal.camera
    return {
        "residuals_m": [round(float(r), 4) for r in cal.residuals_m],
        "rms_m": round(float(cal.rms_m), 4),
        "inliers": [bool(i) for i in cal.inliers],
        "outliers": cal.outlier_indices,
        "grid": [[[round(a[0], 5), round(a[1], 5)], [round(b[0], 5), round(b[1], 5)]]
                 for a, b in grid],
        "grid_m": grid_m,
        "horizon": [list(horizon[0]), list(horizon[1])] if horizon else None,
        "camera_height_m": _finite(cam.height_m) if cam is not None else None,
        "tilt_deg": _finite(cam.tilt_deg) if cam is not None else None,
        "resolution_wh": list(cal.resolution_wh),
    }


def record(body: CalibrationIn, cal: Calibration, ground: list[Pair]) -> dict[str, Any]:
    """cameras[].calibration as the site file keeps it: the pairs, never the homography."""
    out: dict[str, Any] = {
        "resolution_wh": list(cal.resolution_wh),
        "pairs": [{"image_norm": [float(x), float(y)], "ground_m": [gx, gy]}
                  for (x, y), (gx, gy) in zip(body.image_points_norm, ground, strict=True)]}
    for key in ("ransac_threshold_m", "max_rms_m", "person_height_m"):
        value = getattr(body, key)
        if value is not None:
            out[key] = list(value) if isinstance(value, tuple) else value
    return out


def refused(e: CalibrationError) -> JSONResponse:
    return JSONResponse({"detail": str(e), "code": e.code}, status_code=422)


def router(deps: EditorDeps) -> APIRouter:
    r = APIRouter(prefix="/api/cameras", tags=["editor"])

    def resolution(camera_id: str, body: CalibrationIn) -> tuple[int, int]:
        if body.resolution_wh is not None:
            return body.resolution_wh
        latest = deps.runner(camera_id).latest_frame
        if latest is None:
            raise HTTPException(503, "no frame from this camera yet: give resolution_wh")
        return latest.resolution_wh

    @r.post("/{camera_id}/calibration/fit")
    def fit_only(camera_id: str, body: CalibrationIn,
                 principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        deps.known_camera(camera_id)
        try:
            cal, ground = fit(body, resolution(camera_id, body))
        except CalibrationError as e:
            return refused(e)
        return JSONResponse({**describe(cal, body.grid_m), "pairs": record(body, cal, ground)
                             ["pairs"]})

    @r.put("/{camera_id}/calibration")
    def put(camera_id: str, body: CalibrationSave, request: Request,
            principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        deps.known_camera(camera_id)
        try:
            cal, ground = fit(body, resolution(camera_id, body))
        except CalibrationError as e:
            return refused(e)
        rec = record(body, cal, ground)
        resp = save(deps, request, principal, body.version,
                    set_camera_key(camera_id, "calibration", rec),
                    f"calibration of camera {camera_id} saved ({len(rec['pairs'])} points, "
                    f"rms {cal.rms_m:.3f} m)")
        if resp.status_code != 200:
            return resp
        saved = json.loads(bytes(resp.body))
        return JSONResponse({**saved, **describe(cal, body.grid_m), "pairs": rec["pairs"]})

    @r.delete("/{camera_id}/calibration")
    def delete(camera_id: str, request: Request, version: str = Query(min_length=64),
               principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        deps.known_camera(camera_id)
        return save(deps, request, principal, version,
                    set_camera_key(camera_id, "calibration", None),
                    f"calibration of camera {camera_id} removed")

    return r


def _finite(v: float) -> float | None:
    return round(v, 3) if math.isfinite(v) else None
