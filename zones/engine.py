"""The rules of one camera: (state, tracks, frame time) -> (state, violation updates).

Pure: no I/O, no clock, no threads. The caller owns the state and passes it back in; the
same inputs always give the same outputs. See docs/rules.md for the semantics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np

from zones.area_rules import AreaState, close_open, step_area
from zones.geometry import (
    AreaGeometry,
    ExclusionGeometry,
    FrameArrays,
    LineGeometry,
    frame_arrays,
)
from zones.line_memory import LineBank, LineObservation, update_bank
from zones.line_rules import LineState, step_line
from zones.schedule import LocalTime, is_armed, local_time
from zones.spec import AREA_KINDS, LINE_KINDS, ZoneSpec
from zones.types import Track, ViolationUpdate

ZoneState = AreaState | LineState


@dataclass(frozen=True)
class CameraState:
    """Everything the rules remember between frames of one camera."""

    zones: Mapping[str, ZoneState]
    lines: LineBank  # remembered side of every track for every line/seal zone
    last_t_s: float | None = None
    ignored_frames: int = 0  # frames dropped for a time not after the previous frame's


class CameraRules:
    """Compiled zones of one camera. Immutable: edits go through `reconfigure`."""

    def __init__(
        self,
        camera_id: str,
        specs: Sequence[ZoneSpec],
        exclusions_norm: Sequence[Sequence[tuple[float, float]]] = (),
        tz_name: str = "UTC",
    ) -> None:
        _check_specs(camera_id, specs)
        self.camera_id = camera_id
        self.specs: tuple[ZoneSpec, ...] = tuple(specs)
        self.exclusions_norm = tuple(tuple(m) for m in exclusions_norm)
        self.tz_name = tz_name
        self._tz = ZoneInfo(tz_name)
        self._area = tuple(s for s in specs if s.kind in AREA_KINDS)
        self._lines = tuple(s for s in specs if s.kind in LINE_KINDS)
        self._area_geom = AreaGeometry(self._area)
        self._line_geom = LineGeometry(self._lines)
        self._margins = np.array([s.line_margin for s in self._lines], dtype=np.float64)
        self._excl = ExclusionGeometry(self.exclusions_norm)
        self._scheduled = any(s.schedule for s in specs)

    def initial_state(self) -> CameraState:
        zones: dict[str, ZoneState] = {s.zone_id: AreaState() for s in self._area}
        zones.update({s.zone_id: LineState() for s in self._lines})
        return CameraState(zones=zones, lines=LineBank.empty(len(self._lines)))

    def step(
        self,
        state: CameraState,
        tracks: Sequence[Track],
        t_s: float,
        observable: bool = True,
    ) -> tuple[CameraState, list[ViolationUpdate]]:
        """Evaluate one analysed frame (also frames without detections: absence is a fact).

        A frame whose `t_s` is not after the previous accepted frame's (repeated, out of
        order, NaN) is ignored: the state comes back unchanged but for `ignored_frames`.
        `observable=False` (camera offline or tampered): tracks are not looked at, clocks
        pause, open violations report `updated` with reason "unobservable" once.
        """
        if not math.isfinite(t_s) or (state.last_t_s is not None and t_s <= state.last_t_s):
            return replace(state, ignored_frames=state.ignored_frames + 1), []
        now = local_time(t_s, self._tz) if self._scheduled else None
        fa = frame_arrays(tracks) if observable else frame_arrays(())
        keep = self._excl.keep(fa.boxes_xyxy_norm)
        zones = dict(state.zones)
        out: list[ViolationUpdate] = []
        self._step_areas(zones, fa, keep, t_s, now, observable, out)
        bank = self._step_lines(zones, state.lines, fa, keep, t_s, now, observable, out)
        return CameraState(zones, bank, last_t_s=t_s, ignored_frames=state.ignored_frames), out

    def _step_areas(
        self,
        zones: dict[str, ZoneState],
        fa: FrameArrays,
        keep: np.ndarray,
        t_s: float,
        now: LocalTime | None,
        observable: bool,
        out: list[ViolationUpdate],
    ) -> None:
        if not self._area:
            return
        ground = fa.ground_xy_m if self._area_geom.measures_floor else None
        inside = self._area_geom.inside(fa.boxes_xyxy_norm, fa.scores, ground) & keep[None, :]
        rows, cols = np.nonzero(inside)
        bounds = np.searchsorted(rows, np.arange(len(self._area) + 1)).tolist()
        col_list = cols.tolist()
        for z, spec in enumerate(self._area):
            st = zones[spec.zone_id]
            assert isinstance(st, AreaState)
            people = tuple(fa.tracks[i] for i in col_list[bounds[z] : bounds[z + 1]])
            armed = is_armed(spec.schedule, now)
            zones[spec.zone_id], ups = step_area(spec, st, t_s, armed, observable, people)
            out.extend(ups)

    def _step_lines(
        self,
        zones: dict[str, ZoneState],
        bank: LineBank,
        fa: FrameArrays,
        keep: np.ndarray,
        t_s: float,
        now: LocalTime | None,
        observable: bool,
        out: list[ViolationUpdate],
    ) -> LineBank:
        if not self._lines:
            return bank
        if observable:
            boxes = fa.boxes_xyxy_norm
            ax, ay = self._line_geom.anchors(boxes)
            dist = self._line_geom.signed_distance(ax, ay)
            usable = self._line_geom.passes(boxes, fa.scores) & keep[None, :]
            obs = LineObservation(fa.tracks, fa.ids, ax, ay, dist, usable)
            bank, found = update_bank(bank, self._line_geom, self._margins, t_s, obs)
        else:
            # No picture: sides are forgotten, so nothing can cross across the gap.
            bank, found = LineBank.empty(len(self._lines)), [[] for _ in self._lines]
        present = frozenset(fa.ids.tolist())
        for r, spec in enumerate(self._lines):
            st = zones[spec.zone_id]
            assert isinstance(st, LineState)
            armed = is_armed(spec.schedule, now)
            zones[spec.zone_id], ups = step_line(spec, st, t_s, armed, found[r], present)
            out.extend(ups)
        return bank

    def members(self, tracks: Sequence[Track]) -> dict[str, tuple[int, ...]]:
        """Track ids each area zone counts on a frame with these tracks: its filters, its
        anchor and the camera's exclusion masks applied as `step` applies them (before any
        flicker bridging). For the zone editor's live view; `step` does not need it."""
        out: dict[str, tuple[int, ...]] = {s.zone_id: () for s in self._area}
        fa = frame_arrays(tracks)
        if not self._area or len(fa.ids) == 0:
            return out
        keep = self._excl.keep(fa.boxes_xyxy_norm)
        ground = fa.ground_xy_m if self._area_geom.measures_floor else None
        inside = self._area_geom.inside(fa.boxes_xyxy_norm, fa.scores, ground) & keep[None, :]
        for z, spec in enumerate(self._area):
            out[spec.zone_id] = tuple(int(i) for i in fa.ids[inside[z]])
        return out

    def open_violations(self, state: CameraState) -> dict[str, str]:
        """zone_id -> violation_id of every violation open in `state`."""
        return {
            zid: st.open.violation_id
            for zid, st in state.zones.items()
            if isinstance(st, AreaState) and st.open is not None
        }

    def close_all(
        self, state: CameraState, t_s: float, reason: str = "stream_end"
    ) -> tuple[CameraState, list[ViolationUpdate]]:
        """End every open violation (end of a replay, camera removed, shutdown)."""
        zones = dict(state.zones)
        out: list[ViolationUpdate] = []
        for spec in self._area:
            st = zones[spec.zone_id]
            assert isinstance(st, AreaState)
            zones[spec.zone_id], ups = close_open(spec, st, _end_time(state, t_s), reason)
            out.extend(ups)
        return replace(state, zones=zones), out

    def reconfigure(
        self,
        state: CameraState,
        new_specs: Sequence[ZoneSpec],
        t_s: float,
        exclusions_norm: Sequence[Sequence[tuple[float, float]]] | None = None,
        tz_name: str | None = None,
    ) -> tuple[CameraRules, CameraState, list[ViolationUpdate]]:
        """Apply edited zones while violations may be open.

        - zone removed: its open violation ends, reason "zone_removed";
        - zone changed in anything but `label`, `update_interval_s` or `cooldown_s`: its
          open violation ends, reason "zone_changed", and the zone starts afresh (a duty
          post counts absence again from the next frame);
        - zone unchanged (or only those three fields): state and open violation carry over;
        - zone added: starts afresh.
        Exclusions and time zone stay as they were unless given.
        """
        new_rules = CameraRules(
            self.camera_id,
            new_specs,
            self.exclusions_norm if exclusions_norm is None else exclusions_norm,
            self.tz_name if tz_name is None else tz_name,
        )
        old_by_id = {s.zone_id: s for s in self.specs}
        new_by_id = {s.zone_id: s for s in new_specs}
        end_t = _end_time(state, t_s)
        fresh = new_rules.initial_state().zones
        zones: dict[str, ZoneState] = {}
        out: list[ViolationUpdate] = []
        for zid, old_spec in old_by_id.items():
            st = state.zones[zid]
            new_spec = new_by_id.get(zid)
            if new_spec is not None and _same_rule(old_spec, new_spec):
                zones[zid] = st
                continue
            if isinstance(st, AreaState):
                reason = "zone_removed" if new_spec is None else "zone_changed"
                out.extend(close_open(old_spec, st, end_t, reason)[1])
        for zid in new_by_id:
            zones.setdefault(zid, fresh[zid])
        old_col = {s.zone_id: i for i, s in enumerate(self._lines)}
        take = [
            old_col[s.zone_id]
            if s.zone_id in old_col and _same_rule(old_by_id[s.zone_id], s)
            else None
            for s in new_rules._lines
        ]
        bank = state.lines.columns(take)
        return new_rules, replace(state, zones=zones, lines=bank), out


def _end_time(state: CameraState, t_s: float) -> float:
    # Never end a violation before the last frame the rules saw.
    if state.last_t_s is None or not math.isfinite(t_s):
        return t_s if math.isfinite(t_s) else (state.last_t_s or 0.0)
    return max(t_s, state.last_t_s)


def _same_rule(a: ZoneSpec, b: ZoneSpec) -> bool:
    cosmetic = {"label": "", "update_interval_s": 0.0, "cooldown_s": 0.0}
    return replace(a, **cosmetic) == replace(b, **cosmetic)  # type: ignore[arg-type]


def _check_specs(camera_id: str, specs: Sequence[ZoneSpec]) -> None:
    ids: set[str] = set()
    for s in specs:
        if s.camera_id != camera_id:
            raise ValueError(
                f"zone {s.zone_id!r} belongs to camera {s.camera_id!r}, not {camera_id!r}"
            )
        if s.zone_id in ids:
            raise ValueError(f"zone id {s.zone_id!r} appears twice on camera {camera_id!r}")
        if s.kind not in AREA_KINDS | LINE_KINDS:
            raise ValueError(f"zone {s.zone_id!r}: unknown kind {s.kind!r}")
        ids.add(s.zone_id)
