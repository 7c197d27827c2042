"""The JSON API (the contract: pages, integrations and tests use it).

    violations   GET /api/violations, GET /api/violations/{id}
    review       claim, release, decision, reopen, comment, bulk/decision
    counts       GET /api/counts
    devices      GET /api/cameras, GET /api/boxes
    stats        GET /api/stats, GET /api/stats.csv
    users        /api/users, /api/tokens (admins)
    console.web.stream   GET /api/stream (Server-Sent Events)
    console.web.exports  GET /api/exports/false-alarms.zip
"""

from __future__ import annotations

from fastapi import APIRouter

from console.web import exports, stream
from console.web.api import counts, devices, review, stats, users, violations


def routers() -> list[APIRouter]:
    return [review.router, violations.router, counts.router, devices.router, stats.router,
            users.router, stream.router, exports.router]
