"""Per-frame inputs and outputs of the rules engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from zones.spec import ZoneKind

Phase = Literal["started", "updated", "ended"]


@dataclass(frozen=True)
class Track:
    """A tracked person in one analysed frame; box normalised to [0, 1], origin top-left."""

    track_id: int
    box_xyxy_norm: tuple[float, float, float, float]
    score: float
    # Where the feet stand on the floor, in metres (calibrated cameras only).
    ground_xy_m: tuple[float, float] | None = None


@dataclass(frozen=True)
class ViolationUpdate:
    """One lifecycle step of one violation, as the engine reports it.

    Times are the frame times given to the engine (`t_s`, seconds on the engine's clock,
    which the caller maps from stream time to wall clock). `reason` says why an
    `updated` or `ended` happened (e.g. "count_changed", "cleared", "schedule_closed",
    "zone_removed", "unobservable").
    """

    violation_id: str
    phase: Phase
    camera_id: str
    zone_id: str
    kind: ZoneKind
    t_s: float
    started_t_s: float
    ended_t_s: float | None
    count: int
    max_count: int
    objects: tuple[Track, ...]
    reason: str = ""
    alarm_type: str = ""  # GB/T 28181 style alarm type for platforms that speak it
    extra: tuple[tuple[str, object], ...] = field(default_factory=tuple)
