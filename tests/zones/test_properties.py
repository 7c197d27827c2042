"""Property tests over random track sequences for every rule kind at once."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.zones.helpers import CAM, area, line, person
from zones.engine import CameraRules, CameraState
from zones.spec import ScheduleWindow, ZoneSpec
from zones.types import Track, ViolationUpdate

T0 = 1_700_000_000.0

Frame = tuple[float, list[Track], bool]

durations = st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0])
windows = st.builds(
    ScheduleWindow,
    days=st.just((1, 2, 3, 4, 5, 6, 7)),
    start_min=st.integers(0, 1439),
    end_min=st.integers(0, 1440),
)


@st.composite
def zone_specs(draw: st.DrawFn) -> list[ZoneSpec]:
    sched = tuple(draw(st.lists(windows, max_size=1)))
    common = {
        "cooldown_s": draw(durations),
        "update_interval_s": draw(durations),
        "schedule": sched,
    }
    return [
        area(
            "danger_zone",
            zone_id="d",
            min_duration_s=draw(durations),
            clear_s=draw(durations),
            flicker_s=draw(durations),
            **common,
        ),
        area(
            "headcount",
            zone_id="h",
            max_persons=draw(st.integers(0, 2)),
            min_duration_s=draw(durations),
            clear_s=draw(durations),
            **common,
        ),
        area(
            "duty_post",
            zone_id="p",
            min_persons=draw(st.integers(1, 2)),
            absence_s=draw(durations),
            return_s=draw(durations),
            flicker_s=draw(durations),
            **common,
        ),
        line("line", zone_id="l", direction=draw(st.sampled_from(["in", "out", "both"])), **common),
        line("seal", zone_id="s", points_norm=((0.2, 0.3), (0.6, 0.5)), **common),
    ]


coords = st.sampled_from([0.1, 0.3, 0.4, 0.45, 0.55, 0.6, 0.9]) | st.floats(0.0, 1.0)
tracks = st.lists(
    st.builds(person, st.integers(0, 5), coords, coords, st.sampled_from([0.1, 0.3])),
    max_size=4,
)
frames = st.lists(
    st.tuples(
        st.sampled_from([-0.5, 0.0, 0.25, 0.25, 0.5, 1.0, 7.0, 3600.0]),
        tracks,
        st.sampled_from([True, True, True, False]),
    ),
    max_size=60,
)


def play(
    rules: CameraRules, seq: Sequence[tuple[float, list[Track], bool]]
) -> tuple[CameraState, list[ViolationUpdate]]:
    state = rules.initial_state()
    out: list[ViolationUpdate] = []
    t = T0
    for dt, trs, observable in seq:
        t += dt
        state, ups = rules.step(state, trs, t, observable=observable)
        out.extend(ups)
    return state, out


def check_lifecycle(ups: Sequence[ViolationUpdate]) -> dict[str, str]:
    """Assert the lifecycle invariants; return zone_id -> id of violations left open."""
    open_by_zone: dict[str, str] = {}
    ended: set[str] = set()
    last_t = float("-inf")
    for u in ups:
        assert u.t_s >= last_t, "updates come in frame order"
        last_t = u.t_s
        assert u.t_s >= u.started_t_s
        assert u.violation_id not in ended, "nothing after ended"
        if u.phase == "started":
            assert u.zone_id not in open_by_zone, "two open violations for one zone"
            open_by_zone[u.zone_id] = u.violation_id
        else:
            assert open_by_zone.get(u.zone_id) == u.violation_id, "update of a started one"
        if u.phase == "ended":
            assert u.ended_t_s is not None and u.ended_t_s >= u.started_t_s
            del open_by_zone[u.zone_id]
            ended.add(u.violation_id)
        assert 0 <= u.count <= u.max_count or u.phase == "ended"
    return open_by_zone


@settings(max_examples=150, deadline=None)
@given(zone_specs(), frames, st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"]))
def test_lifecycle_invariants(specs: list[ZoneSpec], seq: list[Frame], tz: str) -> None:
    rules = CameraRules(CAM, specs, tz_name=tz)
    state, ups = play(rules, seq)
    still_open = check_lifecycle(ups)
    assert still_open == rules.open_violations(state)
    # Every started violation is ended or still open; close_all ends the rest.
    last = state.last_t_s if state.last_t_s is not None else T0
    _, closing = rules.close_all(state, last)
    assert {u.violation_id for u in closing} == set(still_open.values())
    assert check_lifecycle([*ups, *closing]) == {}


@settings(max_examples=60, deadline=None)
@given(zone_specs(), frames)
def test_same_input_same_output(specs: list[ZoneSpec], seq: list[Frame]) -> None:
    a = play(CameraRules(CAM, specs), seq)
    b = play(CameraRules(CAM, specs), seq)
    assert a == b


@settings(max_examples=60, deadline=None)
@given(zone_specs(), frames, frames, st.booleans())
def test_reconfigure_keeps_invariants(
    specs: list[ZoneSpec], first: list[Frame], second: list[Frame], drop: bool
) -> None:
    rules = CameraRules(CAM, specs)
    state, ups = play(rules, first)
    new_specs = specs[1:] if drop else [*specs[:2], area("duty_post", zone_id="p")]
    t = state.last_t_s if state.last_t_s is not None else T0
    rules2, state, edits = rules.reconfigure(state, new_specs, t)
    state2 = state
    out = [*ups, *edits]
    for dt, trs, observable in second:
        t += abs(dt) + 0.01
        state2, more = rules2.step(state2, trs, t, observable=observable)
        out.extend(more)
    assert check_lifecycle(out) == rules2.open_violations(state2)
