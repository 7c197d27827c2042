"""The live view's membership: which tracks each area zone counts, as `step` counts them."""

from __future__ import annotations

from tests.zones.helpers import CAM, IN, OUT, T0, area, line, person
from zones.engine import CameraRules
from zones.spec import ObjectFilter


def test_members_apply_anchor_filters_and_masks() -> None:
    rules = CameraRules(CAM, [
        area(zone_id="a"),
        area(zone_id="tall", filters=ObjectFilter(min_height_frac=0.3)),
        area("duty_post", zone_id="post"),
        line(zone_id="l"),
    ], exclusions_norm=[[(0.5, 0.2), (0.6, 0.2), (0.6, 0.45), (0.5, 0.45)]])
    inside, outside = person(1, *IN), person(2, *OUT)
    masked = person(3, 0.55, 0.5)  # feet in the zone, box centre (0.55, 0.4) in the mask
    tall = person(4, 0.3, 0.5, h=0.4)
    got = rules.members([inside, outside, masked, tall])
    assert got == {"a": (1, 4), "tall": (4,), "post": (1, 4)}  # lines count nobody
    assert rules.members([]) == {"a": (), "tall": (), "post": ()}
    # the rules count the same people on the same frame
    state, _ = rules.step(rules.initial_state(), [inside, outside, masked, tall], T0)
    assert sorted(tr.track_id for _, tr in state.zones["a"].seen) == [1, 4]
