"""The inbox badge: unhandled violations per camera, zone and kind, and how many are
overdue."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends

from console.roles import Action
from console.store import UNHANDLED, ViolationFilter
from console.web.api.models import Counts
from console.web.context import ConsoleContext
from console.web.security import Principal, context, require

router = APIRouter(prefix="/api", tags=["violations"])


@router.get("/counts", response_model=Counts, summary="Unhandled violations, counted")
def counts(principal: Principal = Depends(require(Action.READ)),
           ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """Over the caller's sites; one query over the unhandled index plus one count."""
    groups = ctx.store.counts_unhandled(principal.scope)
    cams: Counter[tuple[str, str, str]] = Counter()
    zones: Counter[tuple[str, str, str, str]] = Counter()
    kinds: Counter[str] = Counter()
    for g in groups:
        cams[(g.site_id, g.box_id, g.camera_id)] += g.count
        zones[(g.site_id, g.box_id, g.camera_id, g.zone_id)] += g.count
        kinds[g.kind] += g.count
    overdue = ctx.store.count_violations(
        ViolationFilter(decision=UNHANDLED, overdue=True), principal.scope)
    return {
        "total": sum(kinds.values()), "overdue": overdue,
        "by_camera": [{"site_id": s, "box_id": b, "camera_id": c, "count": n}
                      for (s, b, c), n in sorted(cams.items())],
        "by_zone": [{"site_id": s, "box_id": b, "camera_id": c, "zone_id": z, "count": n}
                    for (s, b, c, z), n in sorted(zones.items())],
        "by_kind": [{"kind": k, "count": n} for k, n in sorted(kinds.items())],
        "groups": [g.__dict__ for g in groups],
    }
