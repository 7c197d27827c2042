"""Statistics over a period in the site's time zone: violations per local day per zone and
kind, false-alarm rates per zone and per camera; as JSON, or as CSV for Excel."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from console.roles import Action
from console.store import InvalidInput, Stats
from console.web.api.models import StatsOut
from console.web.api.params import TIME_DOC, optional_time
from console.web.context import ConsoleContext
from console.web.security import Principal, context, require

router = APIRouter(prefix="/api", tags=["stats"])
DEFAULT_DAYS = 30
MAX_DAYS = 400  # a year and a bit: per-day rows stay bounded
_BOM = "\ufeff"  # Excel reads a CSV as UTF-8 (Chinese zone labels) only with it


class Table(StrEnum):
    PER_DAY = "per_day"
    FALSE_ALARMS_BY_ZONE = "false_alarms_by_zone"
    FALSE_ALARMS_BY_CAMERA = "false_alarms_by_camera"


_COLUMNS = {
    Table.PER_DAY: ["day", "site_id", "box_id", "camera_id", "zone_id", "zone_label", "kind",
                    "count"],
    Table.FALSE_ALARMS_BY_ZONE: ["site_id", "box_id", "camera_id", "zone_id", "decided",
                                 "false_alarms", "rate"],
    Table.FALSE_ALARMS_BY_CAMERA: ["site_id", "box_id", "camera_id", "decided",
                                   "false_alarms", "rate"],
}


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
        if self.until_ts - self.since_ts > MAX_DAYS * 86400.0:
            raise InvalidInput(f"a period of at most {MAX_DAYS} days")

    def iso(self, ts: float, ctx: ConsoleContext) -> str:
        return datetime.fromtimestamp(ts, ctx.timezone).isoformat(timespec="seconds")


def _stats(ctx: ConsoleContext, principal: Principal, p: Period) -> Stats:
    return ctx.store.stats(principal.scope, p.since_ts, p.until_ts, ctx.timezone)


@router.get("/stats", response_model=StatsOut, summary="Statistics over a period")
def stats(period: Period = Depends(), principal: Principal = Depends(require(Action.READ)),
          ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """Days are local days in the site's time zone; a false-alarm rate is over the
    violations of the period that were decided (null when none were)."""
    s = _stats(ctx, principal, period)
    out = asdict(s)
    for row in out["per_day"]:
        row["day"] = row["day"].isoformat()
    return {"since": period.iso(period.since_ts, ctx), "until": period.iso(period.until_ts, ctx),
            "timezone": ctx.timezone.key, **out}


@router.get("/stats.csv", summary="Statistics over a period, as CSV",
            response_class=Response,
            responses={200: {"content": {"text/csv": {}},
                             "description": "UTF-8 with BOM, one header row"}})
def stats_csv(table: Table = Query(Table.PER_DAY, description="which table"),
              period: Period = Depends(),
              principal: Principal = Depends(require(Action.READ)),
              ctx: ConsoleContext = Depends(context)) -> Response:
    s = _stats(ctx, principal, period)
    rows: list[Any] = getattr(s, table.value)
    buf = io.StringIO()
    buf.write(_BOM)
    writer = csv.DictWriter(buf, fieldnames=_COLUMNS[table], extrasaction="ignore",
                            lineterminator="\r\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(asdict(r))
    day = datetime.fromtimestamp(period.since_ts, ctx.timezone).date().isoformat()
    name = f"sitewarden-{table.value}-{day}.csv"
    return Response(buf.getvalue().encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
