"""`/stats`: violations per local day per zone and kind (a table and server-drawn SVG bars),
the false-alarm rate per zone and per camera, and the CSV and false-alarm exports."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from console.store import Stats
from console.web.pages.common import KINDS, ctx_of, page, reader
from console.web.security import Principal

router = APIRouter(include_in_schema=False)
DEFAULT_DAYS = 7
MAX_DAYS = 366
CHART_H = 120  # px of the tallest bar
CSV_TABLES = (("per_day", "per_day"), ("fa_zone", "false_alarms_by_zone"),
              ("fa_camera", "false_alarms_by_camera"))


@dataclass(frozen=True)
class Period:
    first: date  # local days, both inclusive
    last: date
    since_ts: float
    until_ts: float

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def query(self, tz: tzinfo) -> str:
        """since/until as ISO times with the site's offset, for the API's exports."""
        since = datetime.fromtimestamp(self.since_ts, tz).isoformat()
        until = datetime.fromtimestamp(self.until_ts, tz).isoformat()
        return urlencode({"since": since, "until": until})


def period(since: str, until: str, tz: tzinfo, today: date) -> tuple[Period, bool]:
    """The local days asked for (default: the last 7 days to today); False when the
    request made no sense and the default was used."""
    try:
        last = date.fromisoformat(until) if until else today
        first = date.fromisoformat(since) if since else last - timedelta(days=DEFAULT_DAYS - 1)
        ok = first <= last and (last - first).days < MAX_DAYS
    except ValueError:
        ok = False
    if not ok:
        last, first = today, today - timedelta(days=DEFAULT_DAYS - 1)
    start = datetime.combine(first, time(), tz).timestamp()
    end = datetime.combine(last + timedelta(days=1), time(), tz).timestamp()
    return Period(first, last, start, end), ok


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, since: str = "", until: str = "",
               principal: Principal = reader) -> HTMLResponse:
    ctx = ctx_of(request)
    tz = ctx.timezone
    p, ok = period(since, until, tz, datetime.now(tz).date())
    s = ctx.store.stats(principal.scope, p.since_ts, p.until_ts, tz)
    export = p.query(tz)
    return page(request, "stats.html", {
        "period": p, "period_ok": ok, "table": day_table(s, p), "chart": chart(s, p),
        "by_zone": [_rate(r) for r in s.false_alarms_by_zone],
        "by_camera": [_rate(r) for r in s.false_alarms_by_camera],
        "csv_urls": [(f"stats.csv_{name}", f"/api/stats.csv?table={table}&{export}")
                     for name, table in CSV_TABLES],
        "zip_url": f"/api/exports/false-alarms.zip?{export}"})


def day_table(s: Stats, p: Period) -> dict[str, Any]:
    """Days down, (camera, zone, kind) across, counts in the cells; days without any
    violation stay in (a quiet day is information too)."""
    cols = sorted({(d.camera_id, d.zone_id, d.zone_label, d.kind) for d in s.per_day})
    cells: Counter[tuple[date, tuple[str, str, str, str]]] = Counter()
    for d in s.per_day:
        cells[(d.day, (d.camera_id, d.zone_id, d.zone_label, d.kind))] += d.count
    rows = []
    for day in reversed(p.days):
        counts = [cells[(day, c)] for c in cols]
        rows.append({"day": day, "counts": counts, "total": sum(counts)})
    totals = [sum(cells[(day, c)] for day in p.days) for c in cols]
    return {"cols": [{"camera": c[0], "zone": c[1], "label": c[2], "kind": c[3]} for c in cols],
            "rows": rows, "totals": totals, "total": sum(totals)}


def chart(s: Stats, p: Period) -> dict[str, Any]:
    """Bars per day, stacked by kind, in SVG user units (one unit per pixel)."""
    per: dict[date, Counter[str]] = {d: Counter() for d in p.days}
    for d in s.per_day:
        if d.day in per:
            per[d.day][d.kind] += d.count
    top = max((sum(c.values()) for c in per.values()), default=0) or 1
    width = max(12, min(40, 720 // max(len(p.days), 1)))
    bars = []
    for i, day in enumerate(p.days):
        y = float(CHART_H)
        for kind in sorted(per[day], key=_kind_order):
            h = per[day][kind] * CHART_H / top
            y -= h
            bars.append({"x": i * width + 2, "y": round(y, 1), "w": width - 4,
                         "h": round(h, 1), "kind": kind, "day": day, "n": per[day][kind]})
    totals = [{"x": i * width + width / 2, "y": round(CHART_H - sum(per[day].values())
                                                      * CHART_H / top - 3, 1),
               "n": sum(per[day].values())}
              for i, day in enumerate(p.days) if per[day] and len(p.days) <= 31]
    labels = [{"x": i * width + width / 2, "day": day} for i, day in enumerate(p.days)
              if len(p.days) <= 14 or i % max(1, len(p.days) // 10) == 0]
    return {"bars": bars, "labels": labels, "totals": totals, "width": width * len(p.days),
            "height": CHART_H, "top": top,
            "kinds": sorted({b["kind"] for b in bars}, key=_kind_order)}


def _kind_order(kind: str) -> tuple[int, str]:
    return (KINDS.index(kind) if kind in KINDS else len(KINDS), kind)


def _rate(r: Any) -> dict[str, Any]:
    return {"camera": r.camera_id, "zone": r.zone_id, "decided": r.decided,
            "false_alarms": r.false_alarms,
            "percent": None if r.rate is None else round(100 * r.rate)}
