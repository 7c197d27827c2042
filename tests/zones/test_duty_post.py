"""duty_post (off-post): absence from the first frame, flicker tolerance, return, outages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from tests.zones.helpers import CAM, IN, area, person, phases, run, timeline
from zones.engine import CameraRules
from zones.types import Track, ViolationUpdate

FPS = 4.0


def guard(*spans: tuple[float, float]) -> Callable[[float], Sequence[Track]]:
    def who(t: float) -> Sequence[Track]:
        return [person(7, *IN)] if any(a <= t < b for a, b in spans) else []

    return who


def every(
    n_frames: int, start: float = 0.0, end: float = 1e9
) -> Callable[[float], Sequence[Track]]:
    """The guard is at the post all the time but detected only on one frame in `n_frames`."""

    def who(t: float) -> Sequence[Track]:
        i = round(t * FPS)
        return [person(7, *IN)] if start <= t < end and i % n_frames == 0 else []

    return who


DUTY: dict[str, Any] = {"absence_s": 10.0, "return_s": 5.0, "flicker_s": 2.0}

CASES = [
    ("post empty from the first frame", {}, lambda t: [], 15, [("started", 10.0)]),
    ("guard always there", {}, guard((0, 1e9)), 60, []),
    ("guard seen on 1 frame in 10 (every 2.5 s)", {}, every(10), 120, []),
    ("guard seen on 1 frame in 39 (every 9.75 s)", {}, every(39), 120, []),
    ("guard seen exactly every 10 s: never absent 10 s", {}, every(40), 120, []),
    ("guard seen every 10.25 s: absent 10 s", {}, every(41), 30, [("started", 10.0)]),
    (
        "leaves and returns",
        {},
        guard((0, 20), (50, 1e9)),
        70,
        [("started", 29.75), ("ended", 55.0)],
    ),
    (
        "returns flickering every other frame",
        {},
        lambda t: guard((0, 20))(t) or (every(2, start=50)(t)),
        70,
        [("started", 29.75), ("ended", 55.0)],
    ),
    (
        "returns with a miss longer than flicker_s",
        {},
        guard((0, 20), (50, 52), (54.5, 1e9)),
        70,
        [("started", 29.75), ("ended", 59.5)],
    ),
    (
        "brief return shorter than return_s",
        {},
        guard((0, 20), (40, 42), (60, 1e9)),
        80,
        [("started", 29.75), ("ended", 65.0)],
    ),
    (
        "return_s 0 ends on the first frame back",
        {"return_s": 0.0},
        guard((0, 20), (50, 1e9)),
        70,
        [("started", 29.75), ("ended", 50.0)],
    ),
    (
        "cooldown after return",
        {"cooldown_s": 30.0},
        guard((0, 20), (50, 56), (60, 61)),
        100,
        [("started", 29.75), ("ended", 55.0), ("started", 85.0)],
    ),
]


@pytest.mark.parametrize(
    ("name", "params", "who", "duration", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_duty_timeline(
    name: str,
    params: dict[str, Any],
    who: Callable[[float], Sequence[Track]],
    duration: float,
    expected: list[tuple[str, float]],
) -> None:
    rules = CameraRules(CAM, [area("duty_post", **{**DUTY, **params})])
    _, ups = run(rules, timeline(FPS, duration, who))
    assert phases(ups) == expected
    assert all(u.alarm_type == "off_post" and u.kind == "duty_post" for u in ups)


def test_two_guards_one_leaves() -> None:
    rules = CameraRules(CAM, [area("duty_post", min_persons=2, **DUTY)])

    def who(t: float) -> Sequence[Track]:
        people = [person(1, 0.3, 0.4)]
        if t < 20 or t >= 40:
            people.append(person(2, 0.5, 0.4))
        return people

    _, ups = run(rules, timeline(FPS, 50, who))
    assert phases(ups) == [("started", 29.75), ("ended", 45.0)]
    assert ups[0].count == 1 and [o.track_id for o in ups[0].objects] == [1]
    assert ups[1].count == 2


def test_one_of_two_guards_flickers() -> None:
    """Both stay; the second is detected on one frame in three: no violation."""
    rules = CameraRules(CAM, [area("duty_post", min_persons=2, **DUTY)])

    def who(t: float) -> Sequence[Track]:
        people = [person(1, 0.3, 0.4)]
        if round(t * FPS) % 3 == 0:
            people.append(person(2, 0.5, 0.4))
        return people

    _, ups = run(rules, timeline(FPS, 300, who))
    assert ups == []


def step_all(
    rules: CameraRules, frames: Sequence[tuple[float, Sequence[Track], bool]]
) -> list[ViolationUpdate]:
    st = rules.initial_state()
    out: list[ViolationUpdate] = []
    for t, tracks, observable in frames:
        st, ups = rules.step(st, tracks, t, observable=observable)
        out.extend(ups)
    return out


def test_unobservable_time_does_not_count_as_absence() -> None:
    rules = CameraRules(CAM, [area("duty_post", **DUTY)])
    frames: list[tuple[float, list[Track], bool]] = [
        (i / FPS, [], not (5 <= i / FPS < 30)) for i in range(int(40 * FPS))
    ]
    ups = step_all(rules, frames)
    # 0..5 s watched empty (5 s), 5..30 s dark, then 5 more empty seconds: 10 s at t = 35.
    assert phases(ups) == [("started", 35.0)]


def test_open_off_post_reports_unobservable_once_and_stays_open() -> None:
    rules = CameraRules(CAM, [area("duty_post", **DUTY)])
    frames: list[tuple[float, list[Track], bool]] = [
        (i / FPS, [], not (20 <= i / FPS < 40)) for i in range(int(50 * FPS))
    ]
    frames += [(50 + i / FPS, [person(7, *IN)], True) for i in range(int(10 * FPS))]
    ups = step_all(rules, frames)
    assert [(u.phase, u.reason, u.t_s) for u in ups] == [
        ("started", "absent", 10.0),
        ("updated", "unobservable", 20.0),
        ("updated", "observable", 40.0),
        ("ended", "returned", 55.0),
    ]
    assert len({u.violation_id for u in ups}) == 1


def test_camera_that_never_delivers_frames_raises_nothing() -> None:
    rules = CameraRules(CAM, [area("duty_post", **DUTY)])
    st = rules.initial_state()
    assert rules.open_violations(st) == {}
    # Only "offline" frames: nothing is watched, so nothing is claimed.
    ups = step_all(rules, [(i / FPS, [], False) for i in range(int(600 * FPS))])
    assert ups == []
