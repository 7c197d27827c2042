"""What the rules engine is told about a zone: plain frozen data, no pydantic, no I/O.

`edge.config` validates the integrator's YAML and turns each zone into a `ZoneSpec`; the
engine only ever sees these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

# The one list of zone kinds: the config's models, alarm types, snapshot colours and the
# editor's forms are keyed by it (tests check that each covers it exactly).
ZoneKind = Literal["danger_zone", "duty_post", "headcount", "line", "seal"]
ZONE_KINDS: tuple[ZoneKind, ...] = get_args(ZoneKind)
AnchorKind = Literal["bottom_center", "center", "overlap"]
Direction = Literal["in", "out", "both"]

LINE_KINDS: frozenset[str] = frozenset({"line", "seal"})
AREA_KINDS: frozenset[str] = frozenset(ZONE_KINDS) - LINE_KINDS


@dataclass(frozen=True)
class ObjectFilter:
    """Detections outside these bounds are ignored by one zone (heights as fraction of frame)."""

    min_score: float = 0.0
    min_height_frac: float = 0.0
    max_height_frac: float = 1.0


@dataclass(frozen=True)
class ScheduleWindow:
    """A weekly window in the site's time zone.

    `days` are ISO weekdays of the window's *start* (1 = Monday … 7 = Sunday). When
    `end_min <= start_min` the window crosses midnight and ends on the following day.
    """

    days: tuple[int, ...]
    start_min: int
    end_min: int


@dataclass(frozen=True)
class ZoneSpec:
    zone_id: str
    camera_id: str
    kind: ZoneKind
    points_norm: tuple[tuple[float, float], ...]
    anchor: AnchorKind = "bottom_center"
    min_overlap: float = 0.5
    filters: ObjectFilter = field(default_factory=ObjectFilter)
    schedule: tuple[ScheduleWindow, ...] = ()  # empty: always armed
    label: str = ""
    # danger_zone / headcount
    max_persons: int = 0
    min_duration_s: float = 1.0
    clear_s: float = 3.0
    # duty_post
    min_persons: int = 1
    absence_s: float = 300.0
    return_s: float = 5.0
    # line / seal
    direction: Direction = "both"
    # all kinds
    cooldown_s: float = 0.0
    update_interval_s: float = 5.0
    # area kinds: detector misses up to this long are bridged (see docs/rules.md "Flicker")
    flicker_s: float = 1.0
    # line / seal: a side counts only once the anchor is this far from the line (normalised)
    line_margin: float = 0.01
    # line / seal: a crossing repeated by a new track id this soon and this near is one crossing
    reid_window_s: float = 2.0
    reid_radius: float = 0.05
    # area kinds on a calibrated camera: a person counts when the feet are within this many
    # metres of `ground_points_m` (the zone on the floor) instead of by the image anchor
    min_distance_m: float | None = None
    ground_points_m: tuple[tuple[float, float], ...] | None = None
