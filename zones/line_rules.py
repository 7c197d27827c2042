"""line / seal: one-shot violations per crossing of a directed tripwire.

Crossings come from zones/line_memory.py (one array update for all lines of a camera). Here:
re-identification, running counts, direction, cooldown and the one-shot violation.

A new track id has no remembered side, so re-acquiring a person under a new id after a
crossing cannot count it again; and a crossing in the same direction, near the same point,
within `reid_window_s`, by a new id while the earlier crossing's track is no longer seen is
taken as the same person (an id switch) and counted once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from zones.lifecycle import close, open_violation
from zones.line_memory import Crossing
from zones.spec import ZoneSpec
from zones.types import ViolationUpdate


class LineState(NamedTuple):
    recent: tuple[Crossing, ...] = ()  # counted crossings within reid_window_s
    armed: bool = False
    in_count: int = 0  # crossings since the zone was armed, duplicates removed
    out_count: int = 0
    duplicates: int = 0  # crossings dropped as id switches
    suppressed: int = 0  # crossings that raised nothing because of cooldown_s
    last_violation_t_s: float | None = None


def step_line(
    spec: ZoneSpec,
    st: LineState,
    t_s: float,
    armed: bool,
    found: list[Crossing],
    present_ids: frozenset[int],
) -> tuple[LineState, list[ViolationUpdate]]:
    if armed != st.armed:
        st = st._replace(armed=armed)
        if armed:
            st = st._replace(in_count=0, out_count=0, duplicates=0, suppressed=0)
    if not found:
        return st, []
    counted, st = _dedupe(spec, st, t_s, found, present_ids)
    if not armed or not counted:
        return st, []
    st = st._replace(
        in_count=st.in_count + sum(c.direction == "in" for c in counted),
        out_count=st.out_count + sum(c.direction == "out" for c in counted),
    )
    alarming = [c for c in counted if spec.direction in ("both", c.direction)]
    if not alarming:
        return st, []
    last = st.last_violation_t_s
    if last is not None and t_s - last < spec.cooldown_s:
        return st._replace(suppressed=st.suppressed + len(alarming)), []
    return _one_shot(spec, st, t_s, alarming)


def _dedupe(
    spec: ZoneSpec,
    st: LineState,
    t_s: float,
    found: list[Crossing],
    present_ids: frozenset[int],
) -> tuple[list[Crossing], LineState]:
    recent = [r for r in st.recent if t_s - r.t_s <= spec.reid_window_s]
    counted: list[Crossing] = []
    dups = 0
    for c in found:
        if any(_same_person(spec, r, c, present_ids) for r in recent):
            dups += 1
            continue
        counted.append(c)
        recent.append(c)
    return counted, st._replace(recent=tuple(recent), duplicates=st.duplicates + dups)


def _same_person(spec: ZoneSpec, r: Crossing, c: Crossing, present_ids: frozenset[int]) -> bool:
    return (
        r.direction == c.direction
        and r.track_id != c.track_id
        and r.track_id not in present_ids
        and c.t_s - r.t_s <= spec.reid_window_s
        and float(np.hypot(c.x - r.x, c.y - r.y)) <= spec.reid_radius
    )


def _one_shot(
    spec: ZoneSpec, st: LineState, t_s: float, alarming: list[Crossing]
) -> tuple[LineState, list[ViolationUpdate]]:
    objects = tuple(c.track for c in alarming)
    extra: tuple[tuple[str, object], ...] = (
        ("crossings", tuple((c.track_id, c.direction) for c in alarming)),
        ("in_count", st.in_count),
        ("out_count", st.out_count),
    )
    ov, started = open_violation(spec, t_s, len(alarming), objects, "crossed", extra)
    ended = close(spec, ov, t_s, "one_shot", extra)
    return st._replace(last_violation_t_s=t_s), [started, ended]
