"""Weekly arming windows evaluated in the site's local time (pure: the caller gives the time)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from zones.spec import ScheduleWindow


@dataclass(frozen=True)
class LocalTime:
    """Wall-clock time at the site: ISO weekday (1 = Monday) and minute of the day."""

    weekday: int
    minute: float


def local_time(t_s: float, tz: ZoneInfo) -> LocalTime:
    """Convert epoch seconds (UTC) to the site's wall clock; DST is handled by zoneinfo."""
    dt = datetime.fromtimestamp(t_s, tz)
    minute = dt.hour * 60 + dt.minute + (dt.second + dt.microsecond / 1e6) / 60.0
    return LocalTime(dt.isoweekday(), minute)


def is_armed(windows: Sequence[ScheduleWindow], now: LocalTime | None) -> bool:
    """True when `now` lies in one of the windows; no windows means always armed.

    A window is half-open, [start, end). When end <= start it crosses midnight: it starts on
    one of `days` and ends the next day (so start == end is a 24-hour window).
    """
    if not windows:
        return True
    if now is None:
        raise ValueError("a zone with a schedule needs the local time")
    prev_day = 7 if now.weekday == 1 else now.weekday - 1
    for w in windows:
        if w.end_min > w.start_min:
            if now.weekday in w.days and w.start_min <= now.minute < w.end_min:
                return True
        else:
            if now.weekday in w.days and now.minute >= w.start_min:
                return True
            if prev_day in w.days and now.minute < w.end_min:
                return True
    return False
