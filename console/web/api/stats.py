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
from console.store import Stats
from console.web.api.models import StatsOut
from console.web.api.params import Period
from console.web.context import ConsoleContext
from console.web.security import Principal, context, require

router = APIRouter(prefix="/api", tags=["stats"])
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
