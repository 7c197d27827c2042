"""danger_zone / headcount: exact thresholds, flicker, clearing, re-identification, updates."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tests.zones.helpers import CAM, IN, OUT, area, person, phases, run, timeline
from zones.engine import CameraRules
from zones.types import Track

FPS = 4.0  # frame times are exact binary fractions: thresholds are tested to the frame


def inside_between(*spans: tuple[float, float]) -> Callable[[float], Sequence[Track]]:
    """One person (id 1) inside during the half-open spans, outside the frame otherwise."""

    def who(t: float) -> Sequence[Track]:
        return [person(1, *IN)] if any(a <= t < b for a, b in spans) else []

    return who


CASES = [
    # (name, zone parameters, who, duration, expected (phase, t))
    ("enters and leaves", {}, inside_between((1, 5)), 12, [("started", 2.0), ("ended", 7.75)]),
    ("stays 0.75 s: below min_duration", {}, inside_between((1, 1.75)), 6, []),
    (
        "stays exactly min_duration",
        {},
        inside_between((1, 2.25)),
        8,
        [("started", 2.0), ("ended", 5.0)],
    ),
    (
        "flicker every other frame",
        {},
        lambda t: [person(1, *IN)] if 1 <= t < 9 and int(t * 4) % 2 == 0 else [],
        14,
        [("started", 2.0), ("ended", 11.5)],
    ),
    (
        "gap of exactly flicker_s bridged",
        {},
        inside_between((1, 1.75), (2.5, 4)),
        9,
        [("started", 2.5), ("ended", 6.75)],
    ),
    (
        "gap longer than flicker_s restarts the run",
        {},
        inside_between((1, 1.75), (3, 5)),
        10,
        [("started", 4.0), ("ended", 7.75)],
    ),
    (
        "miss shorter than clear_s does not end",
        {},
        inside_between((1, 5), (7, 9)),
        14,
        [("started", 2.0), ("ended", 11.75)],
    ),
    (
        "min_duration 0 and clear 0",
        {"min_duration_s": 0.0, "clear_s": 0.0},
        inside_between((1, 2)),
        4,
        [("started", 1.0), ("ended", 2.0)],
    ),
    (
        "cooldown delays the next violation",
        {"clear_s": 1.0, "cooldown_s": 5.0},
        inside_between((1, 3), (4.5, 12)),
        16,
        [("started", 2.0), ("ended", 3.75), ("started", 8.75), ("ended", 12.75)],
    ),
    ("nobody ever enters", {}, lambda t: [person(1, *OUT)], 30, []),
]


@pytest.mark.parametrize(
    ("name", "params", "who", "duration", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_danger_timeline(
    name: str,
    params: dict[str, Any],
    who: Callable[[float], Sequence[Track]],
    duration: float,
    expected: list[tuple[str, float]],
) -> None:
    rules = CameraRules(CAM, [area("danger_zone", **params)])
    _, ups = run(rules, timeline(FPS, duration, who))
    assert phases(ups) == expected
    assert all(u.alarm_type == "intrusion" for u in ups)


def test_reidentified_person_gives_one_violation() -> None:
    """The tracker hands the same person a new id every second: still one violation."""
    rules = CameraRules(CAM, [area("danger_zone", update_interval_s=2.0)])
    who = lambda t: [person(100 + int(t), *IN)] if 1 <= t < 10 else []  # noqa: E731
    _, ups = run(rules, timeline(FPS, 15, who))
    assert [u.phase for u in ups if u.phase != "updated"] == ["started", "ended"]
    assert len({u.violation_id for u in ups}) == 1
    updated = [u for u in ups if u.phase == "updated"]
    assert updated, "the set of people changed: updates are expected"
    times = [ups[0].t_s] + [u.t_s for u in updated]
    assert all(b - a >= 2.0 for a, b in itertools.pairwise(times))
    assert all(u.count == 1 for u in ups if u.phase != "ended")
    assert ups[-1].count == 0 and ups[-1].max_count == 1


def test_count_and_max_count_and_objects() -> None:
    rules = CameraRules(CAM, [area("danger_zone", update_interval_s=0.0)])

    def who(t: float) -> Sequence[Track]:
        people = [person(1, *IN)] if 1 <= t < 8 else []
        if 3 <= t < 5:
            people.append(person(2, 0.3, 0.3))
        return people

    _, ups = run(rules, timeline(FPS, 14, who))
    started, *updated, ended = ups
    assert started.phase == "started" and started.count == 1
    assert [u.count for u in updated] == [2, 1]
    assert updated[0].t_s == 3.0 and {o.track_id for o in updated[0].objects} == {1, 2}
    # Person 2 is held for flicker_s (1 s) after the last frame it was seen in (4.75).
    assert updated[1].t_s == 5.75
    assert ended.phase == "ended" and ended.max_count == 2 and ended.ended_t_s == ended.t_s
    assert ended.started_t_s == started.t_s == 2.0


def test_headcount_limit() -> None:
    rules = CameraRules(CAM, [area("headcount", max_persons=2, min_duration_s=2.0, clear_s=2.0)])

    def who(t: float) -> Sequence[Track]:
        n = 3 if 5 <= t < 10 else 2
        return [person(i, 0.25 + 0.1 * i, 0.4) for i in range(n)]

    _, ups = run(rules, timeline(FPS, 20, who))
    assert phases(ups) == [("started", 7.0), ("ended", 11.75)]
    assert ups[0].count == 3 and ups[0].alarm_type == "density"


def test_updates_are_rate_limited_but_not_lost() -> None:
    rules = CameraRules(CAM, [area("danger_zone", update_interval_s=5.0)])

    def who(t: float) -> Sequence[Track]:
        people = [person(1, *IN)] if 1 <= t < 20 else []
        if 2.5 <= t < 12:
            people.append(person(2, 0.3, 0.3))
        return people

    _, ups = run(rules, timeline(FPS, 25, who))
    upd = [(u.t_s, u.count) for u in ups if u.phase == "updated"]
    # 2 joins at 2.5 but the last report was at 2.0: reported at 7.0; last seen 11.75, held 1 s.
    assert upd == [(7.0, 2), (12.75, 1)]
