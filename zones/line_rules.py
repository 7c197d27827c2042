"""line / seal: one-shot violations per crossing of a directed tripwire.

A track's *side* of the line is remembered only when its anchor is at least `line_margin`
away from the line, so an anchor jittering on the line never crosses. A crossing is a change
of remembered side whose step (last remembered position -> current) meets the drawn segment
(walking around an end of the line is not a crossing). A new track id has no remembered side,
so re-acquiring a person under a new id after a crossing cannot count it again; and a crossing
in the same direction, near the same point, within `reid_window_s`, by a new id while the
earlier crossing's track is no longer seen is taken as the same person (an id switch) and
counted once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from zones.geometry import LineGeometry
from zones.lifecycle import close, open_violation
from zones.spec import ZoneSpec
from zones.types import Track, ViolationUpdate

LINE_MEMORY_S = 10.0  # forget the side of a track not seen for this long


@dataclass(frozen=True)
class SideMemory:
    side: int  # +1 right of p0 -> p1 on screen, -1 left
    x: float
    y: float
    t_s: float


@dataclass(frozen=True)
class Crossing:
    t_s: float
    track_id: int
    direction: str  # "in": left -> right of p0 -> p1; "out": right -> left
    x: float
    y: float
    track: Track


@dataclass(frozen=True)
class LineState:
    sides: Mapping[int, SideMemory] = field(default_factory=dict)
    recent: tuple[Crossing, ...] = ()
    armed: bool = False
    in_count: int = 0
    out_count: int = 0
    duplicates: int = 0
    suppressed: int = 0
    last_violation_t_s: float | None = None


@dataclass(frozen=True)
class LineFrame:
    """One line's view of a frame: usable tracks with their anchors and signed distances."""

    tracks: tuple[Track, ...]
    ax: NDArray[np.float64]
    ay: NDArray[np.float64]
    dist: NDArray[np.float64]
    usable: NDArray[np.bool_]
    present_ids: frozenset[int]


def step_line(
    spec: ZoneSpec,
    geom: LineGeometry,
    row: int,
    st: LineState,
    t_s: float,
    armed: bool,
    frame: LineFrame | None,
) -> tuple[LineState, list[ViolationUpdate]]:
    """`frame` None means the camera is unobservable: track sides are forgotten."""
    if armed and not st.armed:
        st = replace(st, in_count=0, out_count=0, duplicates=0, suppressed=0)
    st = replace(st, armed=armed)
    if frame is None:
        return replace(st, sides={}), []
    sides, found = _crossings(spec, geom, row, st.sides, t_s, frame)
    st = replace(st, sides=sides)
    counted, st = _dedupe(spec, st, t_s, found, frame.present_ids)
    if not armed or not counted:
        return st, []
    st = replace(
        st,
        in_count=st.in_count + sum(c.direction == "in" for c in counted),
        out_count=st.out_count + sum(c.direction == "out" for c in counted),
    )
    alarming = [c for c in counted if spec.direction in ("both", c.direction)]
    if not alarming:
        return st, []
    last = st.last_violation_t_s
    if last is not None and t_s - last < spec.cooldown_s:
        return replace(st, suppressed=st.suppressed + len(alarming)), []
    return _one_shot(spec, st, t_s, alarming)


def _crossings(
    spec: ZoneSpec,
    geom: LineGeometry,
    row: int,
    old: Mapping[int, SideMemory],
    t_s: float,
    frame: LineFrame,
) -> tuple[dict[int, SideMemory], list[Crossing]]:
    sides = {k: v for k, v in old.items() if t_s - v.t_s <= LINE_MEMORY_S}
    found: list[Crossing] = []
    for i in np.flatnonzero(frame.usable):
        tr = frame.tracks[i]
        d, x, y = float(frame.dist[i]), float(frame.ax[i]), float(frame.ay[i])
        prev = sides.get(tr.track_id)
        side = 1 if d >= spec.line_margin else (-1 if d <= -spec.line_margin else 0)
        if side == 0:
            if prev is not None:
                sides[tr.track_id] = replace(prev, t_s=t_s)
            continue
        sides[tr.track_id] = SideMemory(side, x, y, t_s)
        if prev is None or prev.side == side:
            continue
        u = geom.crossing_param(row, (prev.x, prev.y), (x, y))
        if 0.0 <= u <= 1.0:
            direction = "in" if prev.side < 0 else "out"
            found.append(Crossing(t_s, tr.track_id, direction, x, y, tr))
    return sides, found


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
    return counted, replace(st, recent=tuple(recent), duplicates=st.duplicates + dups)


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
    ov, started = open_violation(spec, t_s, len(alarming), objects, "crossed")
    extra: tuple[tuple[str, object], ...] = (
        ("crossings", tuple((c.track_id, c.direction) for c in alarming)),
        ("in_count", st.in_count),
        ("out_count", st.out_count),
    )
    started = replace(started, extra=extra)
    ended = replace(close(spec, ov, t_s, "one_shot"), extra=extra)
    return replace(st, last_violation_t_s=t_s), [started, ended]
