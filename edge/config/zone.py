"""Zone section: the contract integrators write (see DESIGN.md "Zones and rules")."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from edge.config.base import StrictModel
from edge.config.camera import Identifier, NormPoint
from zones.geometry_check import line_problem, polygon_problem
from zones.spec import ObjectFilter, ScheduleWindow, ZoneSpec

_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_ALL_DAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


class FilterConfig(StrictModel):
    min_score: float = Field(default=0.0, ge=0, le=1)
    min_height_frac: float = Field(default=0.0, ge=0, le=1)
    max_height_frac: float = Field(default=1.0, gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> FilterConfig:
        if self.min_height_frac > self.max_height_frac:
            raise ValueError("min_height_frac must not exceed max_height_frac")
        return self


class ScheduleConfig(StrictModel):
    """Armed from `start` to `end` (HH:MM, site time) on `days`; end <= start crosses midnight."""

    days: list[Weekday] = Field(default_factory=lambda: list(_ALL_DAYS), min_length=1)
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not _HHMM.match(v):
            raise ValueError(f"expected a time of day as HH:MM (00:00-24:00), got {v!r}")
        return v

    def to_window(self) -> ScheduleWindow:
        return ScheduleWindow(
            days=tuple(sorted({_DAYS[d] for d in self.days})),
            start_min=_minutes(self.start),
            end_min=_minutes(self.end),
        )


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


class _ZoneBase(StrictModel):
    id: Identifier = Field(description="unique in the site; letters, digits, _ . -")
    camera: Identifier = Field(description="the camera whose picture the points are drawn on")
    label: str = Field(default="", description="shown to operators and on snapshots")
    points: list[NormPoint] = Field(description="normalised image points (x, y in [0, 1], "
                                    "origin top-left)")
    anchor: Literal["bottom_center", "center", "overlap"] = Field(
        default="bottom_center", description="which point of a person counts: the feet "
        "(bottom_center), the box centre, or a share of the box (overlap)")
    min_overlap: float = Field(default=0.5, gt=0, le=1,
                               description="anchor overlap: share of the box inside the zone")
    filters: FilterConfig = Field(default_factory=FilterConfig,
                                  description="ignore detections outside these bounds")
    schedule: list[ScheduleConfig] = Field(
        default_factory=list, description="armed only in these weekly windows (site time); "
        "empty: always")
    cooldown_s: float = Field(default=0.0, ge=0,
                              description="after a violation ends, no new one for this long")
    update_interval_s: float = Field(default=5.0, ge=0,
                                     description="at most one `updated` event this often")

    def to_spec(self) -> ZoneSpec:
        f = self.filters
        params = self.model_dump(
            exclude={"id", "camera", "label", "points", "anchor", "min_overlap", "filters",
                     "schedule", "kind", "cooldown_s", "update_interval_s", "buffer_m"}
        )
        return ZoneSpec(
            zone_id=self.id,
            camera_id=self.camera,
            kind=self.kind,  # type: ignore[attr-defined]
            points_norm=tuple((float(x), float(y)) for x, y in self.points),
            anchor=self.anchor,
            min_overlap=self.min_overlap,
            filters=ObjectFilter(f.min_score, f.min_height_frac, f.max_height_frac),
            schedule=tuple(s.to_window() for s in self.schedule),
            label=self.label,
            cooldown_s=self.cooldown_s,
            update_interval_s=self.update_interval_s,
            **params,
        )


class _AreaZone(_ZoneBase):
    # Detector misses up to this long do not break a run of detections (docs/rules.md).
    flicker_s: float = Field(default=1.0, ge=0, description="detector misses up to this long "
                             "are bridged (a person is not lost for a blink)")

    @field_validator("points")
    @classmethod
    def _polygon(cls, v: list[NormPoint]) -> list[NormPoint]:
        problem = polygon_problem(v)
        if problem:
            raise ValueError(problem)
        return v


class DangerZoneConfig(_AreaZone):
    """Alarm while more than max_persons are inside for min_duration_s."""

    kind: Literal["danger_zone"]
    max_persons: int = Field(default=0, ge=0, description="more than this many is a violation")
    min_duration_s: float = Field(default=1.0, ge=0,
                                  description="the condition must last this long to alarm")
    clear_s: float = Field(default=3.0, ge=0,
                           description="clear this long before the violation ends")
    buffer_m: float | None = Field(
        default=None, ge=0, le=100, description="grow the zone by this many metres on the "
        "floor (a safety margin; needs the camera's calibration)")
    min_distance_m: float | None = Field(
        default=None, gt=0, le=100, description="count a person whose feet are within this "
        "many metres of the zone on the floor (needs the camera's calibration)")


class HeadcountConfig(_AreaZone):
    """Alarm while more than max_persons are inside for min_duration_s."""

    kind: Literal["headcount"]
    max_persons: int = Field(ge=0, description="more than this many is a violation")
    min_duration_s: float = Field(default=5.0, ge=0,
                                  description="the condition must last this long to alarm")
    clear_s: float = Field(default=5.0, ge=0,
                           description="clear this long before the violation ends")


class DutyPostConfig(_AreaZone):
    """Alarm when fewer than min_persons are at the post for absence_s (off duty, 离岗)."""

    kind: Literal["duty_post"]
    min_persons: int = Field(default=1, ge=1, description="fewer than this many is an absence")
    absence_s: float = Field(default=300.0, ge=0,
                             description="an absence this long is a violation")
    return_s: float = Field(default=5.0, ge=0,
                            description="back at the post this long ends the violation")
    flicker_s: float = Field(default=2.0, ge=0, description="detector misses up to this long "
                             "are bridged (a still guard is not absent for a blink)")


class _LineZone(_ZoneBase):
    direction: Literal["in", "out", "both"] = "both"
    # A side of the line counts only this far from it (normalised): jitter never crosses.
    line_margin: float = Field(default=0.01, ge=0, le=0.5)
    # The same crossing seen again under a new track id within this time/radius counts once.
    reid_window_s: float = Field(default=2.0, ge=0)
    reid_radius: float = Field(default=0.05, ge=0, le=1.5)

    @field_validator("points")
    @classmethod
    def _line(cls, v: list[NormPoint]) -> list[NormPoint]:
        problem = line_problem(v)
        if problem:
            raise ValueError(problem)
        return v


class LineConfig(_LineZone):
    kind: Literal["line"]


class SealConfig(_LineZone):
    kind: Literal["seal"]


ZoneConfig = Annotated[
    DangerZoneConfig | HeadcountConfig | DutyPostConfig | LineConfig | SealConfig,
    Field(discriminator="kind"),
]
