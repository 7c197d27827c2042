"""Reading violations: the filtered, keyset-paginated list and one violation in full."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Query

from console.roles import Action
from console.store import Violation
from console.web.api.models import Detail, Page
from console.web.api.params import ListQuery
from console.web.context import ConsoleContext
from console.web.items import detail, item
from console.web.security import Principal, context, require

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/violations", tags=["violations"])
MAX_LIMIT = 200


@router.get("", response_model=Page, summary="List violations, newest first")
def list_violations(
    q: ListQuery = Depends(),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=500,
                               description="`next_cursor` of the previous page"),
    principal: Principal = Depends(require(Action.READ)),
    ctx: ConsoleContext = Depends(context),
) -> dict[str, Any]:
    """Only violations of the caller's sites. Pages continue strictly after the previous
    one (keyset), so violations arriving meanwhile never repeat or skip a row."""
    page = ctx.store.list_violations(q.filter(ctx.timezone), principal.scope, limit, cursor)
    return {"items": [item(ctx, v) for v in page.items], "next_cursor": page.next_cursor}


@router.get("/{violation_id}", response_model=Detail,
            summary="One violation: phases, audit log, neighbours, zone")
def get_violation(
    violation_id: str,
    neighbours: int = Query(5, ge=0, le=50,
                            description="how many of the camera's violations before and after"),
    principal: Principal = Depends(require(Action.READ)),
    ctx: ConsoleContext = Depends(context),
) -> dict[str, Any]:
    """404 for an id that does not exist or belongs to a site outside the caller's scope."""
    store, scope = ctx.store, principal.scope
    v = store.get_violation(violation_id, scope)
    out = detail(ctx, v, store.phases(violation_id, scope), store.audit_of(violation_id, scope))
    near = store.neighbours(violation_id, scope, neighbours) if neighbours else None
    out["neighbours"] = {
        "before": [item(ctx, n) for n in near.before] if near else [],
        "after": [item(ctx, n) for n in near.after] if near else [],
    }
    out["zone"] = zone_of(ctx, v)
    return out


def zone_of(ctx: ConsoleContext, v: Violation) -> dict[str, Any] | None:
    if ctx.zones is None:
        return None
    try:
        return ctx.zones(v.camera_id, v.zone_id)
    except Exception:  # the page without the zone beats no page
        log.exception("zone lookup failed for %s/%s", v.camera_id, v.zone_id)
        return None
