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
    id: Identifier
    camera: Identifier
    label: str = ""
    points: list[NormPoint]
    anchor: Literal["bottom_center", "center", "overlap"] = "bottom_center"
    min_overlap: float = Field(default=0.5, gt=0, le=1)
    filters: FilterConfig = Field(default_factory=FilterConfig)
    schedule: list[ScheduleConfig] = Field(default_factory=list)
    cooldown_s: float = Field(default=0.0, ge=0)
    update_interval_s: float = Field(default=5.0, ge=0)

    def to_spec(self) -> ZoneSpec:
        f = self.filters
        params = self.model_dump(
            exclude={"id", "camera", "label", "points", "anchor", "min_overlap", "filters",
                     "schedule", "kind", "cooldown_s", "update_interval_s"}
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
    flicker_s: float = Field(default=1.0, ge=0)

    @field_validator("points")
    @classmethod
    def _polygon(cls, v: list[NormPoint]) -> list[NormPoint]:
        problem = polygon_problem(v)
        if problem:
            raise ValueError(problem)
        return v


class DangerZoneConfig(_AreaZone):
    kind: Literal["danger_zone"]
    max_persons: int = Field(default=0, ge=0)
    min_duration_s: float = Field(default=1.0, ge=0)
    clear_s: float = Field(default=3.0, ge=0)


class HeadcountConfig(_AreaZone):
    kind: Literal["headcount"]
    max_persons: int = Field(ge=0)
    min_duration_s: float = Field(default=5.0, ge=0)
    clear_s: float = Field(default=5.0, ge=0)


class DutyPostConfig(_AreaZone):
    kind: Literal["duty_post"]
    min_persons: int = Field(default=1, ge=1)
    absence_s: float = Field(default=300.0, ge=0)
    return_s: float = Field(default=5.0, ge=0)
    flicker_s: float = Field(default=2.0, ge=0)


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
