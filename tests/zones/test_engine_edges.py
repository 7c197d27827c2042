"""Bad input and edits: time going backwards, repeated frames, reconfigure, ids."""

from __future__ import annotations

import dataclasses

import pytest

from tests.zones.helpers import CAM, IN, area, line, person, run
from zones.engine import CameraRules, CameraState
from zones.lifecycle import violation_id


def test_repeated_and_backward_frames_are_ignored() -> None:
    rules = CameraRules(CAM, [area()])
    st = rules.initial_state()
    st, _ = rules.step(st, [person(1, *IN)], 10.0)
    before = st
    for t in (10.0, 9.0, float("nan"), float("-inf")):
        st, ups = rules.step(st, [person(1, *IN)], t)
        assert ups == []
    assert st.ignored_frames == 4
    assert dataclasses.replace(st, ignored_frames=0) == before
    st, ups = rules.step(st, [person(1, *IN)], 11.0)
    assert [u.phase for u in ups] == ["started"]


def test_empty_frames_are_facts() -> None:
    rules = CameraRules(CAM, [area(), area("duty_post", zone_id="p", absence_s=2.0)])
    _, ups = run(rules, [(t * 0.5, []) for t in range(10)])
    assert [(u.zone_id, u.phase, u.t_s) for u in ups] == [("p", "started", 2.0)]


def test_no_zones_and_no_tracks() -> None:
    rules = CameraRules(CAM, [])
    st, ups = run(rules, [(0.0, [person(1, *IN)]), (1.0, [])])
    assert ups == [] and st.last_t_s == 1.0


def test_violation_id_is_deterministic_and_distinct() -> None:
    rules = CameraRules(CAM, [area()])
    frames = [(t * 0.25, [person(1, *IN)] if t < 20 or t > 60 else []) for t in range(100)]
    _, a = run(rules, frames)
    _, b = run(CameraRules(CAM, [area()]), frames)
    assert a == b
    ids = [u.violation_id for u in a if u.phase == "started"]
    assert len(ids) == len(set(ids)) == 2
    assert ids[0] == violation_id(CAM, "z", 1.0)


def test_zone_for_another_camera_is_rejected() -> None:
    spec = dataclasses.replace(area(), camera_id="other")
    with pytest.raises(ValueError, match="belongs to camera 'other'"):
        CameraRules(CAM, [spec])
    with pytest.raises(ValueError, match="appears twice"):
        CameraRules(CAM, [area(), area()])


def _open_danger() -> tuple[CameraRules, CameraState]:
    rules = CameraRules(CAM, [area(), area("duty_post", zone_id="p", absence_s=1e6), line()])
    st, ups = run(rules, [(t * 0.25, [person(1, *IN)]) for t in range(12)])
    assert [u.phase for u in ups] == ["started"]
    return rules, st


def test_reconfigure_removed_zone_ends_its_violation() -> None:
    rules, st = _open_danger()
    new_rules, st2, ups = rules.reconfigure(st, [line()], 5.0)
    assert [(u.zone_id, u.phase, u.reason, u.t_s) for u in ups] == [
        ("z", "ended", "zone_removed", 5.0)
    ]
    assert set(st2.zones) == {"l"}
    _, more = new_rules.step(st2, [person(1, *IN)], 6.0)
    assert more == []


def test_reconfigure_changed_zone_ends_and_restarts() -> None:
    rules, st = _open_danger()
    moved = dataclasses.replace(area(), points_norm=((0.3, 0.3), (0.7, 0.3), (0.7, 0.7)))
    new_rules, st2, ups = CameraRules.reconfigure(
        rules,
        st,
        [moved, area("duty_post", zone_id="p", absence_s=1e6), line()],
        5.0,
    )
    assert [(u.zone_id, u.reason) for u in ups] == [("z", "zone_changed")]
    _, more = run(new_rules, [(5.0 + t * 0.25, [person(1, 0.5, 0.5)]) for t in range(1, 10)], st2)
    assert [(u.phase, u.t_s) for u in more] == [("started", 6.25)]
    assert more[0].violation_id != ups[0].violation_id


def test_reconfigure_cosmetic_change_keeps_the_violation_open() -> None:
    rules, st = _open_danger()
    relabelled = dataclasses.replace(area(), label="Press 3", update_interval_s=1.0)
    new_rules, st2, ups = rules.reconfigure(
        st, [relabelled, area("duty_post", zone_id="p", absence_s=1e6)], 5.0
    )
    assert ups == []
    assert new_rules.open_violations(st2) == rules.open_violations(st)


def test_reconfigure_before_last_frame_never_ends_before_it() -> None:
    rules, st = _open_danger()
    _, _, ups = rules.reconfigure(st, [], 0.5)
    assert ups[0].t_s == 2.75 and ups[0].t_s >= ups[0].started_t_s


def test_close_all_at_stream_end() -> None:
    rules, st = _open_danger()
    st2, ups = rules.close_all(st, 3.0)
    assert [(u.phase, u.reason) for u in ups] == [("ended", "stream_end")]
    assert rules.open_violations(st2) == {}
