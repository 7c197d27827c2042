"""Hand-made track sequences for the rules tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from zones.engine import CameraRules, CameraState
from zones.spec import ZoneSpec
from zones.types import Track, ViolationUpdate

CAM = "cam-1"
SQUARE = ((0.2, 0.2), (0.6, 0.2), (0.6, 0.6), (0.2, 0.6))
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z, a Tuesday


def person(track_id: int, x: float, y: float, h: float = 0.2, score: float = 0.9) -> Track:
    """A person whose feet (box bottom centre) are at (x, y)."""
    return Track(track_id, (x - 0.03, y - h, x + 0.03, y), score)


def area(kind: str = "danger_zone", zone_id: str = "z", **kw: object) -> ZoneSpec:
    pts = kw.pop("points_norm", SQUARE)
    return ZoneSpec(zone_id=zone_id, camera_id=CAM, kind=kind, points_norm=pts, **kw)  # type: ignore[arg-type]


def line(kind: str = "line", zone_id: str = "l", **kw: object) -> ZoneSpec:
    pts = kw.pop("points_norm", ((0.2, 0.5), (0.8, 0.5)))
    return ZoneSpec(zone_id=zone_id, camera_id=CAM, kind=kind, points_norm=pts, **kw)  # type: ignore[arg-type]


IN = (0.4, 0.4)  # feet inside SQUARE
OUT = (0.9, 0.9)  # feet outside


def run(
    rules: CameraRules,
    frames: Iterable[tuple[float, Sequence[Track]]],
    state: CameraState | None = None,
) -> tuple[CameraState, list[ViolationUpdate]]:
    st = state if state is not None else rules.initial_state()
    out: list[ViolationUpdate] = []
    for t, tracks in frames:
        st, ups = rules.step(st, tracks, t)
        out.extend(ups)
    return st, out


def timeline(
    fps: float, duration_s: float, who: Callable[[float], Sequence[Track]], t0: float = 0.0
) -> list[tuple[float, Sequence[Track]]]:
    """Frames at `fps` for `duration_s`; `who(rel_t)` gives the tracks at relative time."""
    n = round(duration_s * fps)
    return [(t0 + i / fps, who(i / fps)) for i in range(n + 1)]


def phases(
    updates: Sequence[ViolationUpdate], zone_id: str | None = None
) -> list[tuple[str, float]]:
    """(phase, relative time) pairs, rounded to the millisecond."""
    return [(u.phase, round(u.t_s, 3)) for u in updates if zone_id is None or u.zone_id == zone_id]
