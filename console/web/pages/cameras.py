"""`/cameras`: each camera's state (online, offline, tampered or moved) and since when, each
box's state, health parts and storage, from the store (the centre) and, on a box, its own
live view (frame rates, /health parts)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.web.api import devices as api_devices
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
    """What GET /api/cameras and /api/boxes answer, and this box's own health parts."""
    ctx = ctx_of(request)
    cameras = [camera_row(c) for c in api_devices.cameras(principal, ctx)]
    boxes = api_devices.boxes(principal, ctx)
    for b in boxes:
        b["storage"] = storage_of(b)
    health = ctx.live.health() if ctx.live is not None else None
    return {"cameras": cameras, "boxes": boxes, "health": health}


def camera_row(c: dict[str, Any]) -> dict[str, Any]:
    """A camera as the page shows it; a tampered camera whose view shifted shows as
    "moved", which the operator handles differently (re-aim it, check the zones)."""
    detail = c.get("detail") or {}
    live = c.get("live") or {}
    reasons = detail.get("reasons") or live.get("tamper") or [detail.get("reason") or ""]
    found = [str(r) for r in reasons if r] if isinstance(reasons, list) else [str(reasons)]
    state = str(c.get("state", "unknown"))
    return {**c, "detail": detail, "reasons": found,
            "shown_state": "moved" if state == "tampered" and "moved" in found else state}


STORAGE_PARTS = ("disk", "evidence_storage", "local_store")


def storage_of(box: dict[str, Any]) -> dict[str, Any] | None:
    """The box's storage as its health events tell it: degraded (and why) when the part
    that degraded is a storage part, ok while the whole box is ok, else not known (the
    box is degraded for another part; its storage was fine when last heard of)."""
    detail = box.get("health_detail") or {}
    part = str(detail.get("part", ""))
    if box.get("health") == "degraded" and part in STORAGE_PARTS:
        why = detail.get("reason") or detail.get("error") or ""
        return {"state": "degraded", "part": part, "reason": str(why)}
    if box.get("health") == "ok" and box.get("health_since"):
        return {"state": "ok", "part": "", "reason": ""}
    return None
