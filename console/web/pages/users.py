"""`/users` (admins): people with their role and sites, and API tokens. The page lists them;
every change (add, role, password, remove, token) goes through /api/users and /api/tokens
from users.js, which then asks for `/partials/users` again."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.auth import list_tokens, list_users
from console.roles import Role
from console.web.pages.common import admin, ctx_of, page
from console.web.security import Principal

router = APIRouter(include_in_schema=False)


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, principal: Principal = admin) -> HTMLResponse:
    return page(request, "users.html", users_values(request))


@router.get("/partials/users", response_class=HTMLResponse)
def users_partial(request: Request, principal: Principal = admin) -> HTMLResponse:
    return page(request, "_users_body.html", users_values(request))


def users_values(request: Request) -> dict[str, Any]:
    ctx = ctx_of(request)
    tz = ctx.timezone
    users = [{"name": u.username, "role": u.role.value,
              "sites": ", ".join(sorted(u.sites)) if u.sites else ""}
             for u in list_users(ctx.store)]
    tokens = []
    for t in list_tokens(ctx.store):
        tokens.append({"name": t.name, "role": t.role.value,
                       "sites": ", ".join(sorted(t.sites)) if t.sites else "",
                       "created": _when(t.created_ts, tz), "created_by": t.created_by,
                       "last_used": _when(t.last_used_ts, tz),
                       "expires": _when(t.expires_ts, tz)})
    return {"users": users, "tokens": tokens, "roles": [r.value for r in Role]}


def _when(ts: float | None, tz: tzinfo) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")
