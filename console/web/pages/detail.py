"""`/violations/{id}`: the evidence (annotated and raw snapshot, the clip with the start
marked), the phase timeline, the zone, the camera's neighbouring violations, the audit log
and the decision panel. The panel and the audit log are one fragment
(`/partials/violations/{id}/review`) that live.js asks for again when the violation changes
(someone claims it, decides it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.web.items import detail, item
from console.web.pages.common import ctx_of, may_decide, page, reader
from console.web.security import Principal

router = APIRouter(include_in_schema=False)


@router.get("/violations/{violation_id}", response_class=HTMLResponse)
def violation_page(violation_id: str, request: Request,
                   principal: Principal = reader) -> HTMLResponse:
    values = review_values(request, principal, violation_id)
    ctx = ctx_of(request)
    near = ctx.store.neighbours(violation_id, principal.scope)
    values["neighbours"] = {"before": [item(ctx, v) for v in near.before],
                            "after": [item(ctx, v) for v in near.after]}
    values["zone"] = zone_of(request, values["v"])
    values["marks"] = clip_marks(values["v"])
    return page(request, "violation.html", values)


@router.get("/partials/violations/{violation_id}/review", response_class=HTMLResponse)
def review_partial(violation_id: str, request: Request,
                   principal: Principal = reader) -> HTMLResponse:
    return page(request, "_review.html", review_values(request, principal, violation_id))


def review_values(request: Request, principal: Principal, violation_id: str) -> dict[str, Any]:
    ctx = ctx_of(request)
    scope = principal.scope
    v = ctx.store.get_violation(violation_id, scope)  # NotFound: the app answers 404
    shown = detail(ctx, v, ctx.store.phases(violation_id, scope),
                   ctx.store.audit_of(violation_id, scope))
    return {"v": shown, "may_decide": may_decide(principal), "me": principal.name}


def zone_of(request: Request, v: dict[str, Any]) -> dict[str, Any] | None:
    """The zone's parameters where this console knows them (the box: its site file), else
    None; the page then shows what the events say (id, label, kind)."""
    ctx = ctx_of(request)
    zones = getattr(ctx, "zones", None)
    if zones is None:
        return None
    found = zones(v["site_id"], v["camera_id"], v["zone_id"]) if callable(zones) else None
    return found if isinstance(found, dict) else None


def clip_marks(v: dict[str, Any]) -> dict[str, float] | None:
    """Where the violation starts and ends inside its clip, in seconds and in percent of the
    clip, for the timeline under the player; None without a clip or its window."""
    clip = v.get("clip") or {}
    start, duration = clip.get("start_offset_s"), clip.get("duration_s")
    if not v.get("clip_url") or start is None or not duration:
        return None
    end = float(duration)
    if v.get("ended_at"):
        try:
            length = (datetime.fromisoformat(v["ended_at"])
                      - datetime.fromisoformat(v["started_at"])).total_seconds()
            end = min(float(duration), float(start) + max(length, 0.0))
        except ValueError:
            pass
    start = min(max(float(start), 0.0), float(duration))
    return {"start_s": round(start, 2), "end_s": round(end, 2), "duration_s": float(duration),
            "start_pct": round(100 * start / duration, 2),
            "end_pct": round(100 * end / duration, 2)}
