"""danger_zone / headcount / duty_post: per-zone state machines over per-frame counts.

Both families watch one boolean per frame, a *hit*:

- danger_zone / headcount: hit = more than `max_persons` inside (the bad condition);
- duty_post: hit = at least `min_persons` inside (the good condition).

and two clocks: the *hit run* (hits continuing, detector misses up to `flicker_s` bridged)
and the time since the *last hit*. A danger zone starts on a hit frame whose run has lasted
`min_duration_s` and ends when there was no hit for `clear_s`; a duty post starts when there
was no hit for `absence_s` and ends on a hit frame whose run has lasted `return_s`.
See docs/rules.md for the timelines.
"""

from __future__ import annotations

from typing import NamedTuple

from zones.lifecycle import OpenViolation, close, make_update, observe, open_violation
from zones.spec import ZoneSpec
from zones.types import Track, ViolationUpdate


class AreaState(NamedTuple):
    """State of one polygon zone. All times are frame times (`t_s`)."""

    run_since_t_s: float | None = None  # start of the current hit run
    last_hit_t_s: float | None = None  # duty_post: last staffed frame, or the arming time
    window: tuple[tuple[float, int], ...] = ()  # (t_s, count) of frames within flicker_s
    seen: tuple[tuple[float, Track], ...] = ()  # people inside within flicker_s, newest per id
    open: OpenViolation | None = None
    last_end_t_s: float | None = None
    dark_since_t_s: float | None = None  # first unobservable frame of the current outage


def step_area(
    spec: ZoneSpec,
    st: AreaState,
    t_s: float,
    armed: bool,
    observable: bool,
    inside: tuple[Track, ...],
) -> tuple[AreaState, list[ViolationUpdate]]:
    if not armed:
        return _disarm(spec, st, t_s)
    if not observable:
        return _go_dark(spec, st, t_s)
    if not inside and spec.kind != "duty_post" and _quiet(st):
        return st, []  # empty zone with nothing pending: the common case, kept cheap
    out: list[ViolationUpdate] = []
    st = _come_back(spec, st, t_s, out)
    if spec.kind == "duty_post":
        st = _duty(spec, st, t_s, inside, out)
    else:
        st = _observe(spec, st, t_s, inside)
        st = _over_limit(spec, st, t_s, len(inside), out)
    return st, out


def _quiet(st: AreaState) -> bool:
    return (
        st.open is None
        and st.run_since_t_s is None
        and not st.window
        and not st.seen
        and st.dark_since_t_s is None
    )


def close_open(
    spec: ZoneSpec, st: AreaState, t_s: float, reason: str
) -> tuple[AreaState, list[ViolationUpdate]]:
    if st.open is None:
        return st, []
    return AreaState(last_end_t_s=t_s), [close(spec, st.open, t_s, reason)]


def _disarm(spec: ZoneSpec, st: AreaState, t_s: float) -> tuple[AreaState, list[ViolationUpdate]]:
    if st.open is not None:
        return close_open(spec, st, t_s, "schedule_closed")
    if st == AreaState(last_end_t_s=st.last_end_t_s):
        return st, []
    return AreaState(last_end_t_s=st.last_end_t_s), []


def _go_dark(spec: ZoneSpec, st: AreaState, t_s: float) -> tuple[AreaState, list[ViolationUpdate]]:
    """Camera offline/tampered: every clock pauses, runs break, nothing starts or ends."""
    out: list[ViolationUpdate] = []
    dark = st.dark_since_t_s if st.dark_since_t_s is not None else t_s
    ov = st.open
    if ov is not None and not ov.unobservable:
        ov = ov._replace(unobservable=True)
        out.append(make_update(spec, ov, "updated", t_s, "unobservable"))
    return st._replace(open=ov, dark_since_t_s=dark, run_since_t_s=None), out


def _come_back(
    spec: ZoneSpec, st: AreaState, t_s: float, out: list[ViolationUpdate]
) -> AreaState:
    if st.dark_since_t_s is None:
        return st
    shift = t_s - st.dark_since_t_s
    last_hit = st.last_hit_t_s + shift if st.last_hit_t_s is not None else None
    ov = st.open
    if ov is not None and ov.unobservable:
        ov = ov._replace(unobservable=False, reported_t_s=t_s)
        out.append(make_update(spec, ov, "updated", t_s, "observable"))
    return st._replace(
        dark_since_t_s=None, last_hit_t_s=last_hit, open=ov, window=(), seen=()
    )


def _observe(spec: ZoneSpec, st: AreaState, t_s: float, inside: tuple[Track, ...]) -> AreaState:
    horizon = t_s - spec.flicker_s
    # Only frames with someone inside are kept: the held count defaults to 0.
    window = tuple(w for w in st.window if w[0] > horizon)
    if inside:
        window = (*window, (t_s, len(inside)))
    ids = {tr.track_id for tr in inside}
    seen = (
        *(s for s in st.seen if s[0] > horizon and s[1].track_id not in ids),
        *((t_s, tr) for tr in inside),
    )
    return st._replace(window=window, seen=seen)


def _held(st: AreaState) -> tuple[int, tuple[Track, ...]]:
    """Count and people over the flicker window: stable across short detector misses."""
    count = max((n for _, n in st.window), default=0)
    people = tuple(sorted((tr for _, tr in st.seen), key=lambda tr: tr.track_id))
    return count, people


def _cooling(spec: ZoneSpec, st: AreaState, t_s: float) -> bool:
    return st.last_end_t_s is not None and t_s - st.last_end_t_s < spec.cooldown_s


def _track_run(spec: ZoneSpec, st: AreaState, t_s: float, hit: bool) -> AreaState:
    if hit:
        since = st.run_since_t_s if st.run_since_t_s is not None else t_s
        return st._replace(run_since_t_s=since, last_hit_t_s=t_s)
    last = st.last_hit_t_s
    if st.run_since_t_s is not None and (last is None or t_s - last > spec.flicker_s):
        return st._replace(run_since_t_s=None)
    return st


def _over_limit(
    spec: ZoneSpec, st: AreaState, t_s: float, n: int, out: list[ViolationUpdate]
) -> AreaState:
    hit = n > spec.max_persons
    st = _track_run(spec, st, t_s, hit)
    if st.open is None:
        run = st.run_since_t_s
        due = hit and run is not None and t_s - run >= spec.min_duration_s
        if due and not _cooling(spec, st, t_s):
            ov, upd = open_violation(spec, t_s, *_held(st), "over_limit")
            out.append(upd)
            return st._replace(open=ov)
        return st
    assert st.last_hit_t_s is not None  # a violation opens only on a hit frame
    count, people = _held(st)
    if not hit and t_s - st.last_hit_t_s >= spec.clear_s:
        ov = st.open._replace(now_count=count, objects=people)
        out.append(close(spec, ov, t_s, "cleared"))
        return st._replace(open=None, last_end_t_s=t_s, run_since_t_s=None)
    return _still_open(spec, st, t_s, hit, count, people, out)


def _duty(
    spec: ZoneSpec, st: AreaState, t_s: float, inside: tuple[Track, ...], out: list[ViolationUpdate]
) -> AreaState:
    # An off-post violation reports who is at the post on the frame itself: a glimpse of
    # someone passing is not held over the flicker window (that would read as a return).
    n = len(inside)
    people = tuple(sorted(inside, key=lambda tr: tr.track_id))
    hit = n >= spec.min_persons
    if st.last_hit_t_s is None:
        # Watching starts now: an empty post counts its absence from this frame.
        st = st._replace(last_hit_t_s=t_s)
    st = _track_run(spec, st, t_s, hit)
    if st.open is None:
        assert st.last_hit_t_s is not None
        if not hit and t_s - st.last_hit_t_s >= spec.absence_s and not _cooling(spec, st, t_s):
            ov, upd = open_violation(spec, t_s, n, people, "absent")
            out.append(upd)
            return st._replace(open=ov)
        return st
    run = st.run_since_t_s
    if hit and run is not None and t_s - run >= spec.return_s:
        ov = st.open._replace(now_count=n, objects=people)
        out.append(close(spec, ov, t_s, "returned"))
        return st._replace(open=None, last_end_t_s=t_s)
    return _still_open(spec, st, t_s, not hit, n, people, out)


def _still_open(
    spec: ZoneSpec,
    st: AreaState,
    t_s: float,
    violating: bool,
    count: int,
    people: tuple[Track, ...],
    out: list[ViolationUpdate],
) -> AreaState:
    """Report changes only on frames where the condition holds; while the zone is clearing
    (or the post is being re-staffed) the `ended` update carries the final picture."""
    if not violating or st.open is None:
        return st
    ov, update = observe(spec, st.open, t_s, count, people)
    if update is not None:
        out.append(update)
    return st._replace(open=ov)
