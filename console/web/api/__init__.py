"""The JSON API (the contract: pages, integrations and tests use it)."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    return []
