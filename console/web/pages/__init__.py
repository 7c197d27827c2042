"""Server-rendered pages (Jinja2 + htmx). GETs render from the store through the same items
the JSON API returns; every action (claim, decide, reopen, comment, bulk, users, tokens) is
sent to the API by the page scripts with the session's CSRF token."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from console.web.pages import cameras, detail, inbox, stats, users, violations

    return [inbox.router, violations.router, detail.router, cameras.router, stats.router,
            users.router]
