"""The editor's page: /cameras/{camera_id}/zones (integrators and admins).

The page is server-rendered around one plain-JS SVG component (static/js/editor.js); it
reads and writes everything through the editor's JSON API, as integrations do.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import RedirectResponse, Response

from console.roles import Action
from console.web.i18n import negotiate
from console.web.pages.common import js_texts
from console.web.pages_base import render
from console.web.security import Principal, context, require
from edge.web.deps import EditorDeps

zones_role = Depends(require(Action.ZONES))


def router(deps: EditorDeps) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/zones")
    def first_camera(principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        cameras = deps.camera_ids()
        return RedirectResponse(f"/cameras/{cameras[0]}/zones" if cameras else "/cameras",
                                status_code=303)

    @r.get("/cameras/{camera_id}/zones")
    def editor(camera_id: str, request: Request, background: BackgroundTasks,
               principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        deps.known_camera(camera_id)
        # the preview worker starts now, while the integrator draws (its detector takes
        # seconds to open); in the background: the page does not wait for it
        background.add_task(deps.preview.warm)
        lang = negotiate(request, context(request).http.language)
        return render(request, "editor.html", {
            "camera_id": camera_id, "cameras": deps.camera_ids(),
            "js_texts": js_texts(lang)})

    return r
