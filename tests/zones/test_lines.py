"""line / seal: direction, jitter, line ends, re-identification, seal counts, cooldown."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.zones.helpers import CAM, line, person, run
from zones.engine import CameraRules
from zones.spec import ObjectFilter
from zones.types import Track, ViolationUpdate

# The line runs left to right at y = 0.5 from x = 0.2 to 0.8: "in" is downwards on screen.


def walk(
    track_id: int, x: float, ys: Sequence[float], t0: float = 0.0, dt: float = 0.25
) -> list[tuple[float, list[Track]]]:
    return [(t0 + i * dt, [person(track_id, x, y)]) for i, y in enumerate(ys)]


DOWN = [0.30, 0.40, 0.45, 0.52, 0.60, 0.70]
UP = list(reversed(DOWN))


def crossed(u: ViolationUpdate) -> tuple[tuple[int, str], ...]:
    value = dict(u.extra)["crossings"]
    assert isinstance(value, tuple)
    return value


def crossings(ups: Sequence[ViolationUpdate]) -> list[tuple[str, float, object]]:
    return [(u.phase, u.t_s, dict(u.extra)["crossings"]) for u in ups]


@pytest.mark.parametrize(
    ("direction", "ys", "expected"),
    [
        ("in", DOWN, [(1, "in")]),
        ("out", DOWN, []),
        ("both", DOWN, [(1, "in")]),
        ("in", UP, []),
        ("out", UP, [(1, "out")]),
        ("both", UP, [(1, "out")]),
    ],
)
def test_direction(direction: str, ys: list[float], expected: list[tuple[int, str]]) -> None:
    rules = CameraRules(CAM, [line(direction=direction)])
    _, ups = run(rules, walk(1, 0.5, ys))
    got = [c for u in ups if u.phase == "started" for c in crossed(u)]
    assert got == expected
    if expected:
        # One-shot: started and ended on the frame the anchor is first clear of the line.
        assert [(u.phase, u.t_s) for u in ups] == [("started", 0.75), ("ended", 0.75)]
        assert ups[0].violation_id == ups[1].violation_id
        assert ups[0].alarm_type == "tripwire" and ups[1].reason == "one_shot"


def test_anchor_jittering_on_the_line_never_crosses() -> None:
    ys = [0.3] + [0.495, 0.505] * 20 + [0.3]
    _, ups = run(CameraRules(CAM, [line()]), walk(1, 0.5, ys))
    assert ups == []


def test_exactly_at_margin_counts_as_a_side() -> None:
    # 0.49 and 0.51 are exactly line_margin (0.01) away: both are confirmed sides.
    _, ups = run(CameraRules(CAM, [line()]), walk(1, 0.5, [0.49, 0.51]))
    assert crossings(ups)[0][2] == ((1, "in"),)


def test_walking_around_the_end_of_the_line_is_not_a_crossing() -> None:
    _, ups = run(CameraRules(CAM, [line()]), walk(1, 0.9, DOWN))
    assert ups == []


def test_reacquired_under_new_id_after_crossing_counts_once() -> None:
    frames = walk(1, 0.5, DOWN[:5]) + walk(2, 0.5, [0.62, 0.65, 0.7, 0.8], t0=1.5)
    _, ups = run(CameraRules(CAM, [line()]), frames)
    assert len([u for u in ups if u.phase == "started"]) == 1


def test_id_switch_repeating_a_crossing_counts_once() -> None:
    """Track 1 crosses, is lost, and its box re-appears as track 2 just above the line and
    crosses again at the same spot: the same person, counted once."""
    frames = walk(1, 0.5, [0.4, 0.45, 0.52, 0.55]) + walk(2, 0.51, [0.47, 0.53, 0.6], t0=1.0)
    st, ups = run(CameraRules(CAM, [line(kind="seal")]), frames)
    assert len([u for u in ups if u.phase == "started"]) == 1
    seal = st.zones["l"]
    assert seal.in_count == 1 and seal.duplicates == 1  # type: ignore[union-attr]


def test_tailgating_two_people_both_counted() -> None:
    frames = []
    for i, y in enumerate([0.4, 0.45, 0.52, 0.55, 0.6, 0.7]):
        y2 = [0.3, 0.4, 0.45, 0.52, 0.55, 0.6][i]
        frames.append((i * 0.25, [person(1, 0.5, y), person(2, 0.52, y2)]))
    st, ups = run(CameraRules(CAM, [line(kind="seal")]), frames)
    assert [c for u in ups if u.phase == "started" for c in crossed(u)] == [
        (1, "in"),
        (2, "in"),
    ]
    assert st.zones["l"].in_count == 2  # type: ignore[union-attr]


def test_two_crossings_in_one_frame_make_one_violation() -> None:
    frames = [
        (0.0, [person(1, 0.3, 0.4), person(2, 0.7, 0.6)]),
        (0.25, [person(1, 0.3, 0.6), person(2, 0.7, 0.4)]),
    ]
    _, ups = run(CameraRules(CAM, [line(kind="seal")]), frames)
    assert [(u.phase, u.count) for u in ups] == [("started", 2), ("ended", 2)]
    assert dict(ups[0].extra)["crossings"] == ((1, "in"), (2, "out"))
    assert {o.track_id for o in ups[0].objects} == {1, 2}


def test_seal_running_counts_and_every_crossing_is_a_violation() -> None:
    frames: list[tuple[float, list[Track]]] = []
    for k, tid in enumerate([1, 2, 3]):
        frames += walk(tid, 0.5, DOWN, t0=10.0 * k)
    frames += walk(4, 0.5, UP, t0=40.0)
    _, ups = run(CameraRules(CAM, [line(kind="seal")]), frames)
    started = [u for u in ups if u.phase == "started"]
    assert [(dict(u.extra)["in_count"], dict(u.extra)["out_count"]) for u in started] == [
        (1, 0),
        (2, 0),
        (3, 0),
        (3, 1),
    ]
    assert len({u.violation_id for u in started}) == 4


def test_seal_with_direction_in_counts_out_without_alarm() -> None:
    frames = walk(1, 0.5, DOWN) + walk(2, 0.5, UP, t0=10.0)
    st, ups = run(CameraRules(CAM, [line(kind="seal", direction="in")]), frames)
    assert len([u for u in ups if u.phase == "started"]) == 1
    assert (st.zones["l"].in_count, st.zones["l"].out_count) == (1, 1)  # type: ignore[union-attr]


def test_line_cooldown_suppresses_but_counts() -> None:
    frames = walk(1, 0.5, DOWN) + walk(2, 0.5, DOWN, t0=5.0) + walk(3, 0.5, DOWN, t0=20.0)
    st, ups = run(CameraRules(CAM, [line(cooldown_s=10.0)]), frames)
    assert [u.t_s for u in ups if u.phase == "started"] == [0.75, 20.75]
    assert st.zones["l"].suppressed == 1 and st.zones["l"].in_count == 3  # type: ignore[union-attr]


def test_no_crossing_across_an_unobservable_gap() -> None:
    rules = CameraRules(CAM, [line()])
    st = rules.initial_state()
    st, _ = rules.step(st, [person(1, 0.5, 0.3)], 0.0)
    st, _ = rules.step(st, [], 1.0, observable=False)
    st, ups = rules.step(st, [person(1, 0.5, 0.7)], 2.0)
    assert ups == []


def test_filters_apply_to_lines() -> None:
    rules = CameraRules(CAM, [line(filters=ObjectFilter(min_score=0.95))])
    _, ups = run(rules, walk(1, 0.5, DOWN))
    assert ups == []
