"""Query parameters shared by several routes: times and the violation filter."""

from __future__ import annotations

import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Depends, Query

from console.store import InvalidInput, ViolationFilter
from console.web.api.models import DecisionFilter
from console.web.context import ConsoleContext
from console.web.security import context

DEFAULT_DAYS = 30
MAX_DAYS = 400  # a year and a bit: per-day rows and exports stay bounded
_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")
TIME_DOC = ("ISO 8601 with offset (2026-03-14T09:00:00+08:00), or epoch seconds; a time "
            "without offset is read in the site's time zone")


def parse_time(value: str, tz: ZoneInfo, what: str) -> float:
    """Epoch seconds of a query parameter; InvalidInput (422) saying what is wrong."""
    text = value.strip()
    if _EPOCH.match(text):
        ts = float(text)
    else:
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{what}: not an ISO 8601 time or epoch seconds: {value!r}"
                               ) from None
        # An operator's "since 08:00" means the site's 08:00: the pages send local times.
        ts = (dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)).timestamp()
    if not math.isfinite(ts):
        raise InvalidInput(f"{what}: not a finite time")
    return ts


def optional_time(value: str | None, tz: ZoneInfo, what: str) -> float | None:
    return None if value is None or not value.strip() else parse_time(value, tz, what)


class ListQuery:
    """GET /api/violations' filter parameters (a FastAPI dependency)."""

    def __init__(
        self,
        camera: str | None = Query(None, max_length=200, description="camera id"),
        zone: str | None = Query(None, max_length=200, description="zone id"),
        kind: str | None = Query(None, max_length=40,
                                 description="danger_zone | duty_post | headcount | line | seal"),
        decision: DecisionFilter | None = Query(None),
        overdue: bool | None = Query(None),
        site: str | None = Query(None, max_length=200, description="site id"),
        box: str | None = Query(None, max_length=200, description="box id"),
        since: str | None = Query(None, description="started at or after; " + TIME_DOC),
        until: str | None = Query(None, description="started before; " + TIME_DOC),
    ) -> None:
        self.camera, self.zone, self.kind, self.decision = camera, zone, kind, decision
        self.overdue, self.site, self.box = overdue, site, box
        self.since, self.until = since, until

    def filter(self, tz: ZoneInfo) -> ViolationFilter:
        return ViolationFilter(
            site_id=self.site or None, box_id=self.box or None,
            camera_id=self.camera or None, zone_id=self.zone or None, kind=self.kind or None,
            decision=self.decision.value if self.decision is not None else None,
            overdue=self.overdue, since_ts=optional_time(self.since, tz, "since"),
            until_ts=optional_time(self.until, tz, "until"),
        )


class Period:
    """since/until parameters (a dependency); default: the last 30 days."""

    def __init__(self, since: str | None = Query(None, description="default: 30 days before "
                                                 "`until`; " + TIME_DOC),
                 until: str | None = Query(None, description="default: now; " + TIME_DOC),
                 ctx: ConsoleContext = Depends(context)) -> None:
        tz = ctx.timezone
        end = optional_time(until, tz, "until")
        self.until_ts = ctx.store.clock() if end is None else end
        start = optional_time(since, tz, "since")
        self.since_ts = self.until_ts - DEFAULT_DAYS * 86400.0 if start is None else start
        if self.until_ts <= self.since_ts:
            raise InvalidInput("until must be after since")
        if self.until_ts - self.since_ts > MAX_DAYS * 86400.0:
            raise InvalidInput(f"a period of at most {MAX_DAYS} days")

    def iso(self, ts: float, ctx: ConsoleContext) -> str:
        return datetime.fromtimestamp(ts, ctx.timezone).isoformat(timespec="seconds")
