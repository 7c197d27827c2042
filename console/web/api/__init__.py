"""The JSON API (the contract: pages, integrations and tests use it).

    violations   GET /api/violations, GET /api/violations/{id}
    review       claim, release, decision, reopen, comment, bulk/decision
"""

from __future__ import annotations

from fastapi import APIRouter

from console.web.api import review, violations


def routers() -> list[APIRouter]:
    return [review.router, violations.router]
