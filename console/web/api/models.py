"""The API's wire models (pydantic): what /api/openapi.json documents and what the routes
validate. Items are built by `console.web.items` as dicts and validated against `Item` on
the way out, so the document and the JSON cannot drift apart (a test checks the fields)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from console.roles import Role
from console.store import UNHANDLED, Decision, FalseAlarmReason

_ID = Field(min_length=1, max_length=200)
_TEXT = Field(min_length=1, max_length=4000)


class DecisionFilter(StrEnum):
    """A decision, or `unhandled` (none yet)."""

    CONFIRMED = Decision.CONFIRMED.value
    FALSE_ALARM = Decision.FALSE_ALARM.value
    FOLLOW_UP = Decision.FOLLOW_UP.value
    DISPATCHED = Decision.DISPATCHED.value
    UNHANDLED = UNHANDLED


class Item(BaseModel):
    """One violation as lists, the review page and the live stream show it."""

    violation_id: str
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    zone_label: str
    kind: str = Field(description="danger_zone | duty_post | headcount | line | seal")
    alarm_type: str
    phase: str = Field(description="the furthest phase seen: started | updated | ended")
    started_at: str = Field(description="ISO 8601 with the box's offset")
    ended_at: str | None
    max_count: int
    last_count: int
    reason: str
    # Plain strings, not the enums: a decision made on another console arrives as an event
    # and is shown as it came.
    decision: str | None = Field(
        description="confirmed | false_alarm | follow_up | dispatched; null: unhandled")
    decision_reason: str | None = Field(
        description="a false alarm's reason: not_a_person | outside_zone | authorised_work | "
        "camera_problem | other")
    decision_comment: str | None
    dispatched_to: str | None
    decided_by: str | None
    decided_at: str | None
    claimed_by: str | None
    claimed_at: str | None
    overdue: bool
    overdue_at: str | None
    evidence_ready: bool
    version: int = Field(description="pass back as expected_version when deciding")
    snapshot_url: str | None
    snapshot_raw_url: str | None
    clip_url: str | None
    clip: dict[str, Any] | None = Field(
        description="where the violation starts inside the clip: start_offset_s, duration_s")
    objects: list[dict[str, Any]] = Field(
        description="tracked people of the last phase: id, box_xyxy_norm, score")


class Page(BaseModel):
    items: list[Item]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; "
                                                "null on the last page")


class PhaseOut(BaseModel):
    event_id: str
    phase: str
    time: str
    count: int
    reason: str


class AuditOut(BaseModel):
    id: int
    violation_id: str | None
    ts: float
    at: str
    actor: str
    action: str = Field(description="claim, release, decide, reopen, comment, overdue")
    detail: dict[str, Any]
    event_id: str | None


class Neighbours(BaseModel):
    before: list[Item] = Field(description="older violations of the camera, nearest first")
    after: list[Item] = Field(description="newer violations of the camera, nearest first")


class Detail(Item):
    phases: list[PhaseOut]
    audit: list[AuditOut]
    neighbours: Neighbours
    zone: dict[str, Any] | None = Field(
        description="the zone's configuration when this console knows it (a box)")


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    force: bool = Field(False, description="admins: take over another operator's claim")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    reason: FalseAlarmReason | None = Field(None, description="required for false_alarm")
    comment: str | None = Field(None, max_length=4000)
    dispatched_to: str | None = Field(None, max_length=200,
                                      description="required for dispatched")
    expected_version: int | None = Field(
        None, description="the item's version the operator saw: 409 if it changed since")
    force: bool = Field(False, description="admins: decide over another operator's claim")


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: str = _TEXT


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = _TEXT


class BulkDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    violation_ids: list[str] = Field(min_length=1, max_length=200,
                                     description="the ids, listed (there is no 'all')")
    decision: Decision
    reason: FalseAlarmReason | None = None
    comment: str | None = Field(None, max_length=4000)
    dispatched_to: str | None = Field(None, max_length=200)


class BulkResult(BaseModel):
    violation_id: str
    ok: bool
    status: int = Field(description="the HTTP status this id alone would have had")
    item: Item | None = None
    detail: str | None = None
    holder: str | None = Field(None, description="on 409: who holds the claim")


class BulkOut(BaseModel):
    results: list[BulkResult]


class UnhandledGroup(BaseModel):
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    kind: str
    count: int


class CameraCount(BaseModel):
    site_id: str
    box_id: str
    camera_id: str
    count: int


class ZoneCount(CameraCount):
    zone_id: str


class KindCount(BaseModel):
    kind: str
    count: int


class Counts(BaseModel):
    """Unhandled (undecided) violations."""

    total: int
    overdue: int = Field(description="unhandled and overdue")
    by_camera: list[CameraCount]
    by_zone: list[ZoneCount]
    by_kind: list[KindCount]
    groups: list[UnhandledGroup] = Field(description="per site/box/camera/zone/kind")


class CameraOut(BaseModel):
    site_id: str
    box_id: str
    camera_id: str
    state: str = Field(description="online | offline | tampered | unknown")
    since: str | None
    detail: dict[str, Any]
    live: dict[str, Any] | None = Field(
        description="the running box's own stats (fps_in, fps_analysed, last_frame_age_s, "
        "tamper, readers, ...); null at a centre or when the box does not run it")


class GapOut(BaseModel):
    first: int
    last: int


class BoxOut(BaseModel):
    site_id: str
    box_id: str
    state: str = Field(description="online | offline | unknown")
    since: str | None
    last_seen_ts: float | None
    health: str = Field(description="ok | degraded")
    health_since: str | None
    health_detail: dict[str, Any]
    software_version: str | None
    model: str | None
    config_version: str | None
    outbox_backlog: int | None
    last_sequence: int | None
    missing: int = Field(description="events the box numbered that never arrived")
    gaps: list[GapOut]


class DayCountOut(BaseModel):
    day: str = Field(description="local date in the site's time zone")
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    zone_label: str
    kind: str
    count: int


class FalseAlarmRateOut(BaseModel):
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str | None
    decided: int
    false_alarms: int
    rate: float | None


class StatsOut(BaseModel):
    since: str
    until: str
    timezone: str
    per_day: list[DayCountOut]
    false_alarms_by_zone: list[FalseAlarmRateOut]
    false_alarms_by_camera: list[FalseAlarmRateOut]


class UserOut(BaseModel):
    username: str
    role: Role
    sites: list[str] | None = Field(description="null: every site")
    created_ts: float
    updated_ts: float


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    sites: list[str] | None = Field(None, description="omit or null: every site")


class UserChange(BaseModel):
    """Only the fields given change; `sites` given as null means every site."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    sites: list[str] | None = None
    password: str | None = Field(None, min_length=1, max_length=1024)


class TokenOut(BaseModel):
    name: str
    role: Role
    sites: list[str] | None
    created_ts: float
    created_by: str
    last_used_ts: float | None
    expires_ts: float | None


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = _ID
    role: Role
    sites: list[str] | None = None
    expires_ts: float | None = Field(None, description="epoch seconds; null: never")


class NewToken(BaseModel):
    name: str
    token: str = Field(description="the plaintext token: shown this once, never again")


class Ok(BaseModel):
    ok: bool = True
