"""`/`: the inbox. Unhandled violations newest first, the counts per camera, zone and kind,
kept current by the change stream (live.js asks for `/partials/inbox` again)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.store import UNHANDLED, ViolationFilter
from console.web.api import counts as api_counts
from console.web.items import item
from console.web.pages.common import ctx_of, page, reader
from console.web.security import Principal

router = APIRouter(include_in_schema=False)
INBOX_SIZE = 100  # a control room clears its inbox; more than this goes to /violations


@router.get("/", response_class=HTMLResponse)
def inbox(request: Request, principal: Principal = reader) -> HTMLResponse:
    return page(request, "inbox.html", inbox_values(request, principal))


@router.get("/partials/inbox", response_class=HTMLResponse)
def inbox_partial(request: Request, principal: Principal = reader) -> HTMLResponse:
    return page(request, "_inbox_body.html", inbox_values(request, principal))


def inbox_values(request: Request, principal: Principal) -> dict[str, Any]:
    ctx = ctx_of(request)
    found = ctx.store.list_violations(ViolationFilter(decision=UNHANDLED), principal.scope,
                                      limit=INBOX_SIZE)
    counts = api_counts.counts(principal, ctx)  # what GET /api/counts answers
    return {"items": [item(ctx, v) for v in found.items], "more": found.next_cursor is not None,
            "total": counts["total"], "overdue": counts["overdue"], "counts": grouped(counts)}


def grouped(counts: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The unhandled counts per camera, zone and kind, largest first, each with the
    /violations query that lists them."""
    keys = {"camera": ("site_id", "camera_id"), "zone": ("site_id", "camera_id", "zone_id"),
            "kind": ("kind",)}
    out: dict[str, list[dict[str, Any]]] = {}
    for group, fields in keys.items():
        rows = sorted(counts[f"by_{group}"], key=lambda r: (-r["count"], *(r[f] for f in fields)))
        out[group] = [{"key": {f.removesuffix("_id"): r[f] for f in fields}, "count": r["count"],
                       "query": urlencode({**{f.removesuffix("_id"): r[f] for f in fields},
                                           "decision": UNHANDLED})}
                      for r in rows]
    return out
