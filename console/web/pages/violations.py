"""`/violations`: every violation with filters in the URL, keyset pages ("next page" carries
the cursor), rows selectable for bulk decisions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.store import InvalidInput, Page, Violation
from console.web.items import item
from console.web.pages import filters
from console.web.pages.common import ctx_of, page, reader
from console.web.security import Principal

router = APIRouter(include_in_schema=False)


@router.get("/violations", response_class=HTMLResponse)
def violations_page(request: Request, principal: Principal = reader) -> HTMLResponse:
    return page(request, "violations.html", list_values(request, principal))


@router.get("/partials/violations", response_class=HTMLResponse)
def violations_partial(request: Request, principal: Principal = reader) -> HTMLResponse:
    return page(request, "_violations_body.html", list_values(request, principal))


def list_values(request: Request, principal: Principal) -> dict[str, Any]:
    ctx = ctx_of(request)
    query, wanted = filters.parse(dict(request.query_params), ctx.timezone)
    try:
        found: Page[Violation] = ctx.store.list_violations(
            wanted, principal.scope, limit=query.limit, cursor=query.cursor)
    except InvalidInput:
        # A cursor from an older version or a hand-edited URL: show the first page, say so.
        query = query.without_cursor()
        query = filters.ListQuery(query.values, query.limit, None, (*query.problems, "cursor"))
        found = ctx.store.list_violations(wanted, principal.scope, limit=query.limit)
    cameras = sorted({c.camera_id for c in ctx.store.cameras(principal.scope)})
    zones = sorted({(c.camera_id, c.zone_id) for c in ctx.store.counts_unhandled(
        principal.scope)})
    return {"items": [item(ctx, v) for v in found.items], "query": query,
            "next_url": query.url(cursor=found.next_cursor) if found.next_cursor else None,
            "first_url": query.url(cursor=None) if query.cursor else None,
            "cameras": cameras, "zones": zones,
            "partial_url": query.url("/partials/violations")}
