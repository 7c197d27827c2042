"""Rendering a page: the template, the user, the language, the CSRF token, the time zone."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from console.web.i18n import LANGUAGES, negotiate, translator
from console.web.security import context, resolve

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))


def render(request: Request, name: str, values: dict[str, Any] | None = None,
           status: int = 200) -> HTMLResponse:
    ctx = context(request)
    lang = negotiate(request, ctx.http.language)
    principal = resolve(request)
    page: dict[str, Any] = {
        "request": request, "lang": lang, "languages": LANGUAGES, "_": translator(lang),
        "principal": principal, "csrf_token": principal.csrf_token if principal else None,
        "title": ctx.title, "version": ctx.version, "tz": ctx.timezone.key,
        "local_time": lambda iso: local_time(iso, ctx.timezone),
        "zone_editor": ctx.zone_editor,
    }
    page.update(values or {})
    return TEMPLATES.TemplateResponse(request, name, page, status_code=status)


def local_time(iso: str | None, tz: Any) -> str:
    """An ISO 8601 time shown in the site's time zone, to the second ('' for None)."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso
