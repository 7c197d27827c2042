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

from console.web.api import violations as api_violations
from console.web.pages.common import ctx_of, may_decide, page, reader
from console.web.security import Principal

router = APIRouter(include_in_schema=False)
NEIGHBOURS = 5  # the camera's violations shown before and after this one
# The zone's parameters in the order an operator reads them: what makes it fire first.
PARAM_ORDER = ("min_persons", "absence_s", "return_s", "max_persons", "min_duration_s",
               "clear_s", "direction", "schedule", "anchor", "min_overlap", "filters",
               "flicker_s", "cooldown_s", "update_interval_s")
NOT_PARAMS = {"id", "camera", "kind", "label", "points"}


@router.get("/violations/{violation_id}", response_class=HTMLResponse)
def violation_page(violation_id: str, request: Request,
                   principal: Principal = reader) -> HTMLResponse:
    # The same document GET /api/violations/{id} answers: item, phases, audit,
    # neighbours, zone.
    v = api_violations.get_violation(violation_id, NEIGHBOURS, principal, ctx_of(request))
    return page(request, "violation.html", {
        "v": v, "neighbours": v["neighbours"], "zone": v["zone"], "marks": clip_marks(v),
        "zone_rows": zone_rows(v["zone"]),
        "may_decide": may_decide(principal), "me": principal.name})


@router.get("/partials/violations/{violation_id}/review", response_class=HTMLResponse)
def review_partial(violation_id: str, request: Request,
                   principal: Principal = reader) -> HTMLResponse:
    """The decision panel and the activity log, loaded again after a change."""
    v = api_violations.get_violation(violation_id, 0, principal, ctx_of(request))
    return page(request, "_review.html", {"v": v, "may_decide": may_decide(principal),
                                          "me": principal.name})


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


def zone_rows(zone: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """(parameter, value) of a zone, thresholds first; the overlap fraction only where the
    anchor uses it; an empty schedule is "always"."""
    if not zone:
        return []
    keys = [k for k in PARAM_ORDER if k in zone]
    keys += sorted(k for k in zone if k not in NOT_PARAMS and k not in PARAM_ORDER)
    rows = []
    for k in keys:
        if k == "min_overlap" and zone.get("anchor") != "overlap":
            continue
        rows.append((k, zone[k]))
    return rows
