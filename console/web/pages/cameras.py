"""`/cameras`: each camera's state (online, offline, tampered or moved) and since when, each
box's state, health parts and storage, from the store (the centre) and, on a box, its own
live view (frame rates, /health parts)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.store import Camera
from console.web.pages.common import ctx_of, page, reader
from console.web.security import Principal

router = APIRouter(include_in_schema=False)


@router.get("/cameras", response_class=HTMLResponse)
def cameras_page(request: Request, principal: Principal = reader) -> HTMLResponse:
    return page(request, "cameras.html", cameras_values(request, principal))


@router.get("/partials/cameras", response_class=HTMLResponse)
def cameras_partial(request: Request, principal: Principal = reader) -> HTMLResponse:
    return page(request, "_cameras_body.html", cameras_values(request, principal))


def cameras_values(request: Request, principal: Principal) -> dict[str, Any]:
    ctx = ctx_of(request)
    live_stats: dict[str, dict[str, Any]] = {}
    health: dict[str, Any] | None = None
    if ctx.live is not None:
        live_stats = {str(s.get("camera_id", s.get("id", ""))): s
                      for s in ctx.live.camera_stats()}
        health = ctx.live.health()
    cameras = [camera_row(c, live_stats.get(c.camera_id)) for c in
               ctx.store.cameras(principal.scope)]
    boxes = [asdict(b) for b in ctx.store.boxes(principal.scope)]
    for b in boxes:
        b["storage"] = storage_of(b)
    return {"cameras": cameras, "boxes": boxes, "health": health}


def camera_row(c: Camera, live: dict[str, Any] | None) -> dict[str, Any]:
    """A camera as the page shows it; a tampered camera that was moved (the view shifted)
    shows as "moved", which the operator handles differently (re-aim, re-check zones)."""
    row = asdict(c)
    reasons = c.detail.get("reasons")
    reason = str(c.detail.get("reason", "") or "")
    found = [str(r) for r in reasons] if isinstance(reasons, list) else [reason]
    row["shown_state"] = "moved" if c.state == "tampered" and "moved" in found else c.state
    row["reasons"] = [r for r in found if r]
    row["live"] = live
    return row


def storage_of(box: dict[str, Any]) -> dict[str, Any] | None:
    """The storage part of a box: its status payload's `storage`/`disk`, or the detail of
    a degraded `disk`/`evidence` health part."""
    status = box.get("status") or {}
    for key in ("storage", "disk"):
        if isinstance(status.get(key), dict):
            return dict(status[key])
    detail = box.get("health_detail") or {}
    if str(detail.get("part", "")) in ("disk", "evidence", "storage"):
        return dict(detail)
    return None
