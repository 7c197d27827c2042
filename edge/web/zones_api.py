"""The editor's JSON API for the site file: read it, check drafts, save zones and masks.

    GET    /api/site                     the file as JSON, its version, the reload state
    GET    /api/site/schema              SiteConfig's JSON Schema (the forms are made from it)
    GET    /api/site/history             the newest config changes (audit log, with diffs)
    POST   /api/zones                    {version, zone}         add a zone
    PUT    /api/zones/{zone_id}          {version, zone}         replace it (the id may change)
    DELETE /api/zones/{zone_id}?version=                         delete it
    PUT    /api/cameras/{id}/zones       {version, zones, exclusions?, previous_ids?}
                                         the camera's zones (and masks) as the editor has them
    POST   /api/cameras/{id}/zones/check {zones, exclusions?}    problems and grown outlines

Every save is validated as `sitewarden check` validates (422: [{path, loc, msg, line,
zone_id|camera_id, field}]), refused with 409 when the file is no longer `version`,
written atomically with the earlier versions kept, logged with its diff, and reloaded by
the running box (`reloaded` says whether it was within a few seconds).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from console.roles import Action
from console.web.security import Principal, context, require
from edge.config import SiteConfig
from edge.core.metric import zone_specs
from edge.web.deps import EditorDeps
from edge.web.problems import Invalid
from edge.web.service import (
    Edit,
    NotFoundInFile,
    Saved,
    Unreadable,
    add_zone,
    chain,
    delete_zone,
    replace_zone,
    set_camera_key,
    set_camera_zones,
)
from edge.web.sitefile import VersionConflict

log = logging.getLogger(__name__)
zones_role = Depends(require(Action.ZONES))


class ZoneIn(BaseModel):
    version: str = Field(min_length=64, max_length=64, description="sha256 the edit was made on")
    zone: dict[str, Any]


class CameraZonesIn(BaseModel):
    version: str = Field(min_length=64, max_length=64)
    zones: list[dict[str, Any]]
    exclusions: list[dict[str, Any]] | None = None
    previous_ids: list[str | None] | None = Field(
        default=None, description="per zone: its id in the file before a rename")


class DraftIn(BaseModel):
    zones: list[dict[str, Any]]
    exclusions: list[dict[str, Any]] | None = None


@cache
def site_schema() -> dict[str, Any]:
    return SiteConfig.model_json_schema()


def error_response(e: Exception) -> Response:
    """The editor's refusals as the API answers them."""
    if isinstance(e, Invalid):
        return JSONResponse({"detail": e.problems}, status_code=422)
    if isinstance(e, VersionConflict):
        return JSONResponse({"detail": "the site file was changed since you loaded it (by "
                             "hand or in another editor); reload to see the changes",
                             "code": "version_conflict", "version": e.current},
                            status_code=409)
    if isinstance(e, Unreadable):
        return JSONResponse({"detail": str(e), "code": "site_file_unreadable"},
                            status_code=409)
    if isinstance(e, NotFoundInFile):
        return JSONResponse({"detail": str(e)}, status_code=404)
    if isinstance(e, ValueError):
        return JSONResponse({"detail": str(e)}, status_code=422)
    raise e


def save(deps: EditorDeps, request: Request, principal: Principal, version: str,
         edit: Edit, summary: str) -> Response:
    try:
        saved = deps.site.save(version, edit)
    except (Invalid, VersionConflict, NotFoundInFile, ValueError) as e:
        return error_response(e)
    audit(request, deps, principal, version, saved, summary)
    return JSONResponse({**saved.to_json(), "summary": summary})


def audit(request: Request, deps: EditorDeps, principal: Principal, before: str,
          saved: Saved, summary: str) -> None:
    """Who changed what, when: the audit log keeps the unified diff of the file."""
    try:
        context(request).store.log_config_change(principal.name, deps.site_id, {
            "file": str(deps.site.path), "summary": summary, "version_before": before,
            "version_after": saved.version, "diff": saved.diff})
    except Exception:  # the file is saved; a store that fails must not turn that into a 500
        log.exception("config change not logged in the audit log")


def router(deps: EditorDeps) -> APIRouter:
    r = APIRouter(prefix="/api", tags=["editor"])

    @r.get("/site")
    def get_site(principal: Principal = zones_role) -> dict[str, Any]:
        deps.allow(principal)
        return {**deps.site_json(), "reload": deps.config_detail()}

    @r.get("/site/schema")
    def get_schema(principal: Principal = zones_role) -> dict[str, Any]:
        deps.allow(principal)
        return site_schema()

    @r.get("/site/history")
    def history(request: Request, limit: int = Query(20, ge=1, le=200),
                principal: Principal = zones_role) -> list[dict[str, Any]]:
        deps.allow(principal)
        entries = context(request).store.config_changes(deps.site_id, limit)
        return [{"at": e.at, "actor": e.actor, **e.detail} for e in entries]

    _zone_routes(r, deps)
    _camera_routes(r, deps)
    return r


def _zone_routes(r: APIRouter, deps: EditorDeps) -> None:
    @r.post("/zones")
    def post_zone(body: ZoneIn, request: Request, principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        zid = body.zone.get("id")
        return save(deps, request, principal, body.version, add_zone(body.zone),
                    f"zone {zid} added")

    @r.put("/zones/{zone_id}")
    def put_zone(zone_id: str, body: ZoneIn, request: Request,
                 principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        return save(deps, request, principal, body.version, replace_zone(zone_id, body.zone),
                    f"zone {zone_id} changed")

    @r.delete("/zones/{zone_id}")
    def del_zone(zone_id: str, request: Request, version: str = Query(min_length=64),
                 principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        return save(deps, request, principal, version, delete_zone(zone_id),
                    f"zone {zone_id} deleted")


def _camera_routes(r: APIRouter, deps: EditorDeps) -> None:
    @r.put("/cameras/{camera_id}/zones")
    def put_camera_zones(camera_id: str, body: CameraZonesIn, request: Request,
                         principal: Principal = zones_role) -> Response:
        deps.allow(principal)
        deps.known_camera(camera_id)
        try:
            edit = camera_edit(camera_id, body.zones, body.exclusions, body.previous_ids)
        except ValueError as e:
            return error_response(e)
        return save(deps, request, principal, body.version, edit,
                    f"zones of camera {camera_id} saved ({len(body.zones)} zone(s))")

    @r.post("/cameras/{camera_id}/zones/check")
    def check(camera_id: str, body: DraftIn, principal: Principal = zones_role) -> Response:
        """The drafts' problems, as a save would report them (nothing is saved), and the
        outlines the rules will use for zones grown by metres."""
        deps.allow(principal)
        deps.known_camera(camera_id)
        try:
            _, cfg = deps.site.check(camera_edit(camera_id, body.zones, body.exclusions))
        except Invalid as e:
            return JSONResponse({"problems": e.problems, "outlines": {}})
        except ValueError as e:
            return error_response(e)
        return JSONResponse({"problems": [], "outlines": grown_outlines(cfg, camera_id)})


def camera_edit(camera_id: str, zones: list[dict[str, Any]],
                exclusions: list[dict[str, Any]] | None,
                previous_ids: list[str | None] | None = None) -> Edit:
    for z in zones:  # the URL names the camera; a zone drawn on it belongs to it
        if z.setdefault("camera", camera_id) != camera_id:
            raise ValueError(f"zone {z.get('id')!r} belongs to camera {z['camera']!r}, not "
                             f"{camera_id!r}; copy it with POST /api/zones")
    edits: list[Callable[[Any], Any]] = [set_camera_zones(camera_id, zones, previous_ids)]
    if exclusions is not None:
        edits.append(set_camera_key(camera_id, "exclusions", exclusions))
    return chain(*edits)


def grown_outlines(cfg: SiteConfig, camera_id: str) -> dict[str, list[list[float]]]:
    """Zones grown by buffer_m, as the rules and the snapshots see them (image points)."""
    grown = {z.id for z in cfg.zones_of(camera_id) if getattr(z, "buffer_m", None)}
    return {s.zone_id: [[round(x, 5), round(y, 5)] for x, y in s.points_norm]
            for s in zone_specs(cfg, camera_id) if s.zone_id in grown}
