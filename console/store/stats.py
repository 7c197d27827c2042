"""Statistics over a period: violations per local day per zone and kind, and the false-alarm
rate (false alarms / decided) per zone and per camera.

Days are local days in the time zone asked for, counted in the database: the period is cut
where the zone's UTC offset changes (DST), and within each piece the day number is
floor((started_ts + offset) / 86400), exact and the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Integer, case, cast, func, select

from console.store import rows
from console.store.errors import InvalidInput
from console.store.model import DayCount, Decision, FalseAlarmRate, Stats
from console.store.scope import Scope
from console.store.tables import violations

_v = violations.c
_EPOCH = date(1970, 1, 1)
_SAMPLE_S = 3600.0  # offsets change on the hour or half hour, never twice within an hour


def _offset_s(tz: ZoneInfo, ts: float) -> int:
    off = datetime.fromtimestamp(ts, UTC).astimezone(tz).utcoffset()
    return int(off.total_seconds()) if off is not None else 0


def offset_segments(
    since_ts: float, until_ts: float, tz: ZoneInfo
) -> list[tuple[float, float, int]]:
    """[start, end) pieces of the period with the zone's constant UTC offset (seconds)."""
    segments: list[tuple[float, float, int]] = []
    start, off, t = since_ts, _offset_s(tz, since_ts), since_ts
    while t < until_ts:
        nxt = min(t + _SAMPLE_S, until_ts)
        if _offset_s(tz, nxt) != off:
            lo, hi = t, nxt  # offset(lo) == off != offset(hi): find the change to 1 s
            while hi - lo > 1.0:
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if _offset_s(tz, mid) == off else (lo, mid)
            segments.append((start, hi, off))
            start, off = hi, _offset_s(tz, hi)
        t = nxt
    segments.append((start, until_ts, off))
    return [s for s in segments if s[1] > s[0]]


def _day_number(conn: Connection, offset_s: int) -> Any:
    shifted = (_v.started_ts + offset_s) / 86400.0
    if conn.dialect.name == "postgresql":
        return cast(func.floor(shifted), Integer)
    return cast(shifted, Integer)  # SQLite truncates, which is floor for times after 1970


def _in_period(scope: Scope, since_ts: float, until_ts: float) -> list[Any]:
    clauses: list[Any] = [_v.started_ts >= since_ts, _v.started_ts < until_ts]
    scoped = rows.scope_clause(_v.site_id, scope)
    return clauses + ([scoped] if scoped is not None else [])


def per_day(
    conn: Connection, scope: Scope, since_ts: float, until_ts: float, tz: ZoneInfo
) -> list[DayCount]:
    counts: Counter[tuple[Any, ...]] = Counter()
    labels: dict[tuple[Any, ...], str] = {}
    group = (_v.site_id, _v.box_id, _v.camera_id, _v.zone_id, _v.kind)
    for start, end, off in offset_segments(since_ts, until_ts, tz):
        day = _day_number(conn, off).label("day")
        stmt = (select(day, *group, func.max(_v.zone_label).label("label"),
                       func.count().label("n"))
                .where(*_in_period(scope, start, end)).group_by(day, *group))
        for r in conn.execute(stmt):
            key = (int(r.day), r.site_id, r.box_id, r.camera_id, r.zone_id, r.kind)
            counts[key] += int(r.n)
            labels[key] = r.label
    return [
        DayCount(day=_EPOCH + timedelta(days=k[0]), site_id=k[1], box_id=k[2],
                 camera_id=k[3], zone_id=k[4], zone_label=labels[k], kind=k[5], count=n)
        for k, n in sorted(counts.items())
    ]


def false_alarms(
    conn: Connection, scope: Scope, since_ts: float, until_ts: float
) -> tuple[list[FalseAlarmRate], list[FalseAlarmRate]]:
    """Per zone and per camera, over the violations of the period that were decided."""
    group = (_v.site_id, _v.box_id, _v.camera_id, _v.zone_id)
    is_fa = case((_v.decision == Decision.FALSE_ALARM.value, 1), else_=0)
    stmt = (select(*group, func.count().label("decided"), func.sum(is_fa).label("fa"))
            .where(*_in_period(scope, since_ts, until_ts), _v.decision.is_not(None))
            .group_by(*group).order_by(*group))
    by_zone = [_rate(r.site_id, r.box_id, r.camera_id, r.zone_id, int(r.decided), int(r.fa))
               for r in conn.execute(stmt)]
    cams: dict[tuple[str, str, str], tuple[int, int]] = {}
    for z in by_zone:
        key = (z.site_id, z.box_id, z.camera_id)
        decided, fa = cams.get(key, (0, 0))
        cams[key] = (decided + z.decided, fa + z.false_alarms)
    by_camera = [_rate(*k, None, d, f) for k, (d, f) in sorted(cams.items())]
    return by_zone, by_camera


def _rate(
    site_id: str, box_id: str, camera_id: str, zone_id: str | None, decided: int, fa: int
) -> FalseAlarmRate:
    return FalseAlarmRate(site_id=site_id, box_id=box_id, camera_id=camera_id, zone_id=zone_id,
                          decided=decided, false_alarms=fa,
                          rate=round(fa / decided, 4) if decided else None)


def stats(
    conn: Connection, scope: Scope, since_ts: float, until_ts: float, tz: str | ZoneInfo
) -> Stats:
    if until_ts <= since_ts:
        raise InvalidInput("until must be after since")
    try:
        zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    except (KeyError, ValueError):
        raise InvalidInput(f"unknown time zone {tz!r}") from None
    by_zone, by_camera = false_alarms(conn, scope, since_ts, until_ts)
    return Stats(per_day=per_day(conn, scope, since_ts, until_ts, zone),
                 false_alarms_by_zone=by_zone, false_alarms_by_camera=by_camera)
