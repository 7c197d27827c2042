"""`/`: the inbox. Unhandled violations newest first, the counts per camera, zone and kind,
kept current by the change stream (live.js asks for `/partials/inbox` again)."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.store import UNHANDLED, UnhandledCount, ViolationFilter
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
    counts = ctx.store.counts_unhandled(principal.scope)
    return {"items": [item(ctx, v) for v in found.items], "more": found.next_cursor is not None,
            "total": sum(c.count for c in counts), "counts": grouped(counts)}


def grouped(counts: list[UnhandledCount]) -> dict[str, list[dict[str, Any]]]:
    """Unhandled counts per camera, per zone and per kind, largest first; each with the
    /violations query that lists them."""
    groups: dict[str, Counter[tuple[tuple[str, str], ...]]] = {
        "camera": Counter(), "zone": Counter(), "kind": Counter()}
    for c in counts:
        groups["camera"][(("camera", c.camera_id),)] += c.count
        groups["zone"][(("camera", c.camera_id), ("zone", c.zone_id))] += c.count
        groups["kind"][(("kind", c.kind),)] += c.count
    out: dict[str, list[dict[str, Any]]] = {}
    for name, counter in groups.items():
        rows = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
        out[name] = [{"key": dict(key), "count": n,
                      "query": urlencode({**dict(key), "decision": UNHANDLED})}
                     for key, n in rows]
    return out
