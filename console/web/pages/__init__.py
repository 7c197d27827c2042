"""Server-rendered pages (Jinja2 + htmx); they read and act through the JSON API."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    return []
