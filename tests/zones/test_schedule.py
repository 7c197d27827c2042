"""Weekly schedules in the site's time zone: midnight, time zones, DST, closing windows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.zones.helpers import CAM, IN, area, line, person
from zones.engine import CameraRules
from zones.schedule import is_armed, local_time
from zones.spec import ScheduleWindow

MON_TO_FRI = (1, 2, 3, 4, 5)
NIGHT = ScheduleWindow(days=MON_TO_FRI, start_min=22 * 60, end_min=6 * 60)  # 22:00-06:00
DAY = ScheduleWindow(days=(1, 2, 3, 4, 5, 6, 7), start_min=8 * 60, end_min=18 * 60)


def epoch(iso: str, tz: str) -> float:
    return datetime.fromisoformat(iso).replace(tzinfo=ZoneInfo(tz)).timestamp()


@pytest.mark.parametrize(
    ("local", "armed"),
    [
        ("2024-03-04 21:59:59", False),  # Monday before the window
        ("2024-03-04 22:00:00", True),  # Monday start (inclusive)
        ("2024-03-05 05:59:59", True),  # Tuesday early morning: Monday's window
        ("2024-03-05 06:00:00", False),  # end is exclusive
        ("2024-03-09 03:00:00", True),  # Saturday 03:00 belongs to Friday night
        ("2024-03-09 23:00:00", False),  # Saturday night: not a window day
        ("2024-03-11 03:00:00", False),  # Monday 03:00 would belong to Sunday night
    ],
)
def test_window_crossing_midnight(local: str, armed: bool) -> None:
    t = epoch(local, "Asia/Shanghai")
    assert is_armed([NIGHT], local_time(t, ZoneInfo("Asia/Shanghai"))) is armed


def test_same_instant_differs_by_site_time_zone() -> None:
    t = epoch("2024-03-04 23:00:00", "Asia/Shanghai")  # 15:00 UTC, 10:00 in New York
    assert is_armed([NIGHT], local_time(t, ZoneInfo("Asia/Shanghai")))
    assert not is_armed([NIGHT], local_time(t, ZoneInfo("UTC")))
    assert is_armed([DAY], local_time(t, ZoneInfo("America/New_York")))


def test_dst_uses_wall_clock() -> None:
    """Europe/Berlin springs forward on 2024-03-31 at 02:00 -> 03:00."""
    tz = ZoneInfo("Europe/Berlin")
    win = ScheduleWindow(days=(7,), start_min=8 * 60, end_min=9 * 60)  # Sunday 08:00-09:00
    before = epoch("2024-03-31 07:59:00", "Europe/Berlin")
    assert not is_armed([win], local_time(before, tz))
    assert is_armed([win], local_time(before + 60, tz))
    # One hour after 01:30 local on that night is 03:30 local (02:xx does not exist).
    assert local_time(epoch("2024-03-31 01:30:00", "Europe/Berlin") + 3600, tz).minute == 210


def test_start_equal_end_is_a_whole_day() -> None:
    win = ScheduleWindow(days=(1,), start_min=12 * 60, end_min=12 * 60)
    tz = ZoneInfo("UTC")
    assert is_armed([win], local_time(epoch("2024-03-05 11:59:00", "UTC"), tz))
    assert not is_armed([win], local_time(epoch("2024-03-05 12:00:00", "UTC"), tz))


def test_violation_ends_when_window_closes_and_nothing_outside() -> None:
    tz = "Asia/Shanghai"
    rules = CameraRules(CAM, [area("danger_zone", schedule=(NIGHT,))], tz_name=tz)
    st = rules.initial_state()
    t0 = epoch("2024-03-05 05:55:00", tz)  # Tuesday, 5 minutes before the window closes
    ups = []
    for i in range(0, 20 * 60):  # 1 fps for 20 minutes, someone inside all along
        st, u = rules.step(st, [person(1, *IN)], t0 + i)
        ups.extend(u)
    assert [(u.phase, u.reason, u.t_s - t0) for u in ups] == [
        ("started", "over_limit", 1.0),
        ("ended", "schedule_closed", 300.0),
    ]


def test_duty_post_absence_counts_from_window_opening() -> None:
    tz = "UTC"
    win = ScheduleWindow(days=(1, 2, 3, 4, 5, 6, 7), start_min=8 * 60, end_min=9 * 60)
    rules = CameraRules(CAM, [area("duty_post", absence_s=60.0, schedule=(win,))], tz_name=tz)
    st = rules.initial_state()
    t0 = epoch("2024-03-05 07:00:00", tz)
    ups = []
    for i in range(0, 3 * 3600, 10):  # empty post, a frame every 10 s from 07:00 to 10:00
        st, u = rules.step(st, [], t0 + i)
        ups.extend(u)
    assert [(u.phase, u.reason, (u.t_s - t0) / 60) for u in ups] == [
        ("started", "absent", 61.0),
        ("ended", "schedule_closed", 120.0),
    ]


def test_seal_counts_reset_when_armed_again() -> None:
    win = ScheduleWindow(days=(1, 2, 3, 4, 5, 6, 7), start_min=0, end_min=60)  # 00:00-01:00
    rules = CameraRules(CAM, [line(kind="seal", schedule=(win,))])
    st = rules.initial_state()
    day = epoch("2024-03-05 00:10:00", "UTC")
    ups = []
    for t0 in (day, day + 3 * 3600, day + 86400):  # armed, disarmed, armed next night
        for k, y in enumerate([0.3, 0.4, 0.6, 0.7]):
            st, u = rules.step(st, [person(int(t0), 0.5, y)], t0 + k)
            ups.extend(u)
    started = [u for u in ups if u.phase == "started"]
    assert [dict(u.extra)["in_count"] for u in started] == [1, 1]
