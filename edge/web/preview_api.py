"""The preview's API.

    GET  /api/cameras/{id}/preview/sources     [{source, kind}]: "recent", the camera's
                                               own file, recordings on the box
    POST /api/cameras/{id}/preview             {zones, exclusions?, source, duration_s?}
         -> {violations: [{violation_id, zone_id, kind, started_at, ended_at,
                           source_time_s, end_source_time_s, max_count, open_at_end,
                           snapshot_url}], duration_s, frames_analysed, elapsed_s, note}
    GET  /api/cameras/{id}/preview/progress    {running, source_time_s}
    GET  /api/previews/{preview_id}/{name}     a violation's snapshot (JPEG)

The POST answers when the preview is done (10 minutes of footage at 5 fps: see
docs/editor.md for the time it takes on a box with its cameras running); 409 while another
preview runs, 422 for drafts the site file's models refuse or footage a preview may not
read, 504 past the time limit.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from console.roles import Action
from console.web.security import Principal, require
from edge.web.deps import EditorDeps
from edge.web.preview import MAX_DURATION_S, RECENT, SourceRefused
from edge.web.preview_pool import PreviewBusy, PreviewFailed, PreviewTimeout
from edge.web.problems import Invalid
from edge.web.zones_api import error_response

zones_role = Depends(require(Action.ZONES))


class PreviewIn(BaseModel):
    zones: list[dict[str, Any]] = Field(description="the camera's draft zones")
    exclusions: list[dict[str, Any]] | None = Field(
        default=None, description="draft exclusion masks; absent: the saved ones")
    source: str = Field(default=RECENT, description='"recent" or a recording on the box')
    duration_s: float | None = Field(default=None, gt=0, le=MAX_DURATION_S,
                                     description="from the start of the footage")


def router(deps: EditorDeps) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["editor"])

    @r.get("/cameras/{camera_id}/preview/sources", response_model=list[dict[str, Any]])
    def sources(camera_id: str, principal: Principal = zones_role) -> Any:
        deps.allow(principal)
        deps.known_camera(camera_id)
        try:
            cfg = deps.site.config()
        except (Invalid, ValueError) as e:  # a hand edit the box would refuse too
            return error_response(e)
        return deps.preview.sources(cfg, camera_id)

    @r.get("/cameras/{camera_id}/preview/progress")
    def progress(camera_id: str, principal: Principal = zones_role) -> dict[str, Any]:
        deps.allow(principal)
        w = deps.preview.worker
        return {"running": w.running, "source_time_s": w.progress_s}

    @r.post("/cameras/{camera_id}/preview")
    def preview(camera_id: str, body: PreviewIn, principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        deps.known_camera(camera_id)
        zones = [dict(z, camera=z.get("camera", camera_id)) for z in body.zones]
        others = sorted({str(z["camera"]) for z in zones} - {camera_id})
        if others:  # a preview runs one camera's drafts, drawn on its picture
            return JSONResponse({"detail": f"zones of camera(s) {', '.join(others)} in a "
                                 f"preview of {camera_id}"}, status_code=422)
        try:
            out = deps.preview.run(camera_id, zones, body.exclusions, body.source,
                                   body.duration_s)
        except (Invalid, ValueError) as e:
            return error_response(e)
        except SourceRefused as e:
            return JSONResponse({"detail": str(e), "code": "source"}, status_code=422)
        except PreviewBusy as e:
            return JSONResponse({"detail": str(e), "code": "busy"}, status_code=409)
        except PreviewTimeout as e:
            return JSONResponse({"detail": str(e)}, status_code=504)
        except PreviewFailed as e:
            return JSONResponse({"detail": str(e)}, status_code=500)
        return JSONResponse(out)

    @r.get("/previews/{preview_id}/{name}", response_class=Response)
    def snapshot(preview_id: str, name: str, principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        path = deps.preview.snapshot(preview_id, name)
        if path is None:
            return JSONResponse({"detail": "no such preview snapshot"}, status_code=404)
        return FileResponse(path, media_type="image/jpeg")

    return r
