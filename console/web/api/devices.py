"""Cameras and boxes: what the store knows (states from events and retained status), and on
a box the running cameras' own stats."""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends

from console.roles import Action
from console.store import Camera
from console.web.api.models import BoxOut, CameraOut
from console.web.context import ConsoleContext
from console.web.security import Principal, context, require

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["devices"])


@router.get("/cameras", response_model=list[CameraOut],
            summary="Cameras: state, and the box's live stats")
def cameras(principal: Principal = Depends(require(Action.READ)),
            ctx: ConsoleContext = Depends(context)) -> list[dict[str, Any]]:
    """On a box each camera also carries `live` (fps, last frame age, readers, tamper
    reasons), and cameras it runs that never sent an event are listed too."""
    known = ctx.store.cameras(principal.scope)
    live = _live_stats(ctx)
    out = [_camera(c, live.pop(c.camera_id, None) if _is_own(ctx, c) else None)
           for c in known]
    if ctx.site_id is not None and ctx.box_id is not None and principal.scope.allows(
            ctx.site_id):
        out += [_live_only(ctx.site_id, ctx.box_id, stats) for stats in live.values()]
    return out


def _is_own(ctx: ConsoleContext, c: Camera) -> bool:
    """Live stats belong to this box's cameras (camera ids repeat across boxes)."""
    return ctx.site_id is None or (c.site_id, c.box_id) == (ctx.site_id, ctx.box_id)


def _live_stats(ctx: ConsoleContext) -> dict[str, dict[str, Any]]:
    if ctx.live is None:
        return {}
    try:
        return {str(s["camera_id"]): s for s in ctx.live.camera_stats() if "camera_id" in s}
    except Exception:  # the list from the store still helps when the runtime fails
        log.exception("live camera stats failed")
        return {}


def _camera(c: Camera, live: dict[str, Any] | None) -> dict[str, Any]:
    return {"site_id": c.site_id, "box_id": c.box_id, "camera_id": c.camera_id,
            # the running box knows better than the last event it sent
            "state": str(live.get("state", c.state)) if live else c.state,
            "since": c.since, "detail": c.detail, "live": live}


def _live_only(site_id: str, box_id: str, live: dict[str, Any]) -> dict[str, Any]:
    return {"site_id": site_id, "box_id": box_id, "camera_id": str(live["camera_id"]),
            "state": str(live.get("state", "unknown")), "since": None, "detail": {},
            "live": live}


@router.get("/boxes", response_model=list[BoxOut],
            summary="Boxes: online state, health, last seen, sequence gaps")
def boxes(principal: Principal = Depends(require(Action.READ)),
          ctx: ConsoleContext = Depends(context)) -> list[dict[str, Any]]:
    return [asdict(b) for b in ctx.store.boxes(principal.scope)]


