"""What the store returns: plain frozen dataclasses (`dataclasses.asdict` gives JSON-ready
dicts), and the closed vocabularies of decisions.

Times come twice: `*_ts` float epoch seconds (ordering, filtering, arithmetic) and `*_at` the
ISO 8601 string with offset as the box sent it (display in the site's own time). Times made
by the console itself (claims, decisions made here, overdue) are UTC ISO strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    FALSE_ALARM = "false_alarm"  # needs a FalseAlarmReason
    FOLLOW_UP = "follow_up"
    DISPATCHED = "dispatched"  # needs `dispatched_to`


class FalseAlarmReason(StrEnum):
    NOT_A_PERSON = "not_a_person"
    OUTSIDE_ZONE = "outside_zone"
    AUTHORISED_WORK = "authorised_work"
    CAMERA_PROBLEM = "camera_problem"
    OTHER = "other"


UNHANDLED = "unhandled"  # a `ViolationFilter.decision` value: no decision yet


@dataclass(frozen=True)
class ViolationFilter:
    """All given fields must match. `decision` is a Decision value or "unhandled";
    `since_ts`/`until_ts` bound `started_ts` as [since, until)."""

    site_id: str | None = None
    box_id: str | None = None
    camera_id: str | None = None
    zone_id: str | None = None
    kind: str | None = None
    decision: str | None = None
    overdue: bool | None = None
    since_ts: float | None = None
    until_ts: float | None = None


@dataclass(frozen=True)
class Violation:
    """The merged state of one violation plus its review state."""

    violation_id: str
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    zone_label: str
    kind: str
    alarm_type: str
    phase: str  # the furthest phase seen: started | updated | ended
    started_at: str
    started_ts: float
    ended_at: str | None
    ended_ts: float | None
    max_count: int
    last_count: int
    source_time_s: float
    objects: list[dict[str, Any]]
    evidence: dict[str, Any]
    evidence_ready: bool
    reason: str
    last_event_ts: float
    decision: str | None
    decision_reason: str | None
    decision_comment: str | None
    dispatched_to: str | None
    decided_by: str | None
    decided_at: str | None
    decided_ts: float | None
    decision_event_id: str | None  # id of the review.decided event of the current decision
    claimed_by: str | None
    claimed_at: str | None
    claimed_ts: float | None
    overdue: bool
    overdue_at: str | None
    overdue_ts: float | None
    version: int  # +1 per applied event and per review action; pass back as expected_version
    updated_ts: float


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None  # None on the last page


@dataclass(frozen=True)
class PhaseRecord:
    event_id: str
    violation_id: str
    phase: str
    event_time: str
    event_ts: float
    count: int
    reason: str
    payload: dict[str, Any]  # the whole CloudEvent as received


@dataclass(frozen=True)
class AuditEntry:
    id: int
    violation_id: str | None
    site_id: str | None
    ts: float
    at: str
    actor: str
    action: str  # claim, release, decide, reopen, comment, overdue, user_add, ...
    detail: dict[str, Any]  # before/after of what changed, comments, flags
    event_id: str | None  # set when the action arrived as (or left as) an event


@dataclass(frozen=True)
class Neighbours:
    """Violations of the same camera around one: `before` older (nearest first), `after`
    newer (nearest first)."""

    before: list[Violation]
    after: list[Violation]


@dataclass(frozen=True)
class SiteCounts:
    """Per site: violations nobody decided yet, and how many of them are overdue."""

    site_id: str
    unhandled: int
    overdue: int


@dataclass(frozen=True)
class UnhandledCount:
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    kind: str
    count: int


@dataclass(frozen=True)
class Camera:
    site_id: str
    box_id: str
    camera_id: str
    state: str  # online | offline | tampered | unknown (seen only in violations so far)
    since: str | None
    since_ts: float | None
    detail: dict[str, Any]
    updated_ts: float


@dataclass(frozen=True)
class Gap:
    """Sequences `first`..`last` (inclusive) of a box were never received."""

    first: int
    last: int


@dataclass(frozen=True)
class Box:
    site_id: str
    box_id: str
    state: str  # online | offline | unknown (events seen, no status yet)
    since: str | None
    since_ts: float | None
    last_seen_ts: float | None
    health: str  # ok | degraded (sitewarden.box.<state> events)
    health_since: str | None
    health_detail: dict[str, Any]
    status: dict[str, Any]  # the last retained status payload as received
    software_version: str | None
    model: str | None
    config_version: str | None
    outbox_backlog: int | None
    last_sequence: int | None
    missing: int  # sequences between the first and the last seen that never arrived
    gaps: list[Gap] = field(default_factory=list)  # the newest gaps (at most 50)


@dataclass(frozen=True)
class IngestResult:
    """status: applied | duplicate (id seen before) | ignored (type not for the console) |
    invalid (malformed; `error` says why) | deferred (ingest_many(defer_busy=True): its
    violation was held by another transaction; nothing applied, give it again). kind:
    violation | camera | box | decision | overdue."""

    event_id: str | None
    status: str
    kind: str | None = None
    ref: str | None = None  # violation_id, or site/box/camera
    error: str | None = None


@dataclass(frozen=True)
class DayCount:
    day: date  # local date in the tz asked for
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    zone_label: str
    kind: str
    count: int


@dataclass(frozen=True)
class FalseAlarmRate:
    """Over violations decided in the period; `rate` is None when none were decided.
    `zone_id` is None in the per-camera list."""

    site_id: str
    box_id: str
    camera_id: str
    zone_id: str | None
    decided: int
    false_alarms: int
    rate: float | None


@dataclass(frozen=True)
class Stats:
    per_day: list[DayCount]
    false_alarms_by_zone: list[FalseAlarmRate]
    false_alarms_by_camera: list[FalseAlarmRate]
