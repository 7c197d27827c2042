"""CloudEvents 1.0 events: violations, camera and box states, reviews (the wire contract).

An `Event` is a typed value from the rule engine to the wire: the same JSON
(`Event.to_wire()`) goes to MQTT, to `replay --events-out`, to the local store and to the
console. Builders here take plain values, never frames: the publisher knows events, not
video. `data` is the wire schema of each family (pydantic, as at every wire boundary).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

SPECVERSION = "1.0"
_NS = uuid.UUID("6f1d3c2e-5b8a-4c71-9a44-2a7e0b9e51d0")


class EvidenceRef(BaseModel):
    model_config = ConfigDict(extra="allow")
    ready: bool = False
    snapshot: dict[str, Any] | None = None
    clip: dict[str, Any] | None = None


class TrackedObject(BaseModel):
    id: int
    box_xyxy_norm: list[float] = Field(min_length=4, max_length=4)
    score: float


class ViolationData(BaseModel):
    model_config = ConfigDict(extra="allow")
    violation_id: str
    phase: Literal["started", "updated", "ended"]
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    zone_label: str = ""
    kind: str
    alarm_type: str = ""
    count: int
    max_count: int
    started_at: str
    ended_at: str | None
    source_time_s: float
    reason: str = ""
    objects: list[TrackedObject]
    evidence: EvidenceRef = Field(default_factory=EvidenceRef)


class StateData(BaseModel):
    """`sitewarden.camera.<state>` and `sitewarden.box.<state>`: a state change and why."""

    model_config = ConfigDict(extra="allow")
    site_id: str
    box_id: str
    camera_id: str
    state: str


class ReviewData(BaseModel):
    """`sitewarden.review.decided`: an operator's decision on a violation (or its reopening).

    A consumer applies it only when newer (`decided_at`) than the decision it has, and keeps
    every one in its audit log keyed by the event id (console/store/wire.py)."""

    model_config = ConfigDict(extra="allow")
    violation_id: str
    site_id: str
    box_id: str
    camera_id: str = ""
    zone_id: str = ""
    action: Literal["decided", "reopened"] = "decided"
    decision: str | None = Field(
        default=None, description="confirmed | false_alarm | follow_up | dispatched")
    reason: str | None = Field(
        default=None, description="false_alarm: not_a_person | outside_zone | "
        "authorised_work | camera_problem | other")
    comment: str | None = None
    dispatched_to: str | None = None
    decided_by: str
    decided_at: str = Field(description="ISO 8601 with offset")


class OverdueData(BaseModel):
    """`sitewarden.violation.overdue`: nobody handled a violation in time (escalation)."""

    model_config = ConfigDict(extra="allow")
    violation_id: str
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    kind: str
    started_at: str
    overdue_at: str
    after_s: float = Field(description="the review.overdue_after_s it waited")


EventData = ViolationData | StateData | ReviewData | OverdueData
OVERDUE_TYPE = "sitewarden.violation.overdue"


class EventError(ValueError):
    """A JSON object that is not a sitewarden CloudEvent."""


@dataclass(frozen=True)
class Event:
    """One CloudEvent on its way to the wire.

    `sequence` is the CloudEvents sequence extension: the box numbers every event it emits
    (a decimal string, per box, persisted), so that a consumer can see gaps.
    """

    id: str
    type: str
    source: str
    subject: str | None
    time: str
    data: EventData
    sequence: str | None = None

    @property
    def family(self) -> str:
        """`violation`, `camera`, `box` or `review` (the second part of `type`)."""
        parts = self.type.split(".")
        return parts[1] if len(parts) > 2 else ""

    @property
    def camera_id(self) -> str:
        return self.data.camera_id

    @property
    def violation(self) -> ViolationData | None:
        return self.data if isinstance(self.data, ViolationData) else None

    def with_sequence(self, n: int) -> Event:
        return replace(self, sequence=str(n))

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "specversion": SPECVERSION, "id": self.id, "source": self.source,
            "type": self.type, "subject": self.subject, "time": self.time,
            "datacontenttype": "application/json",
            "data": self.data.model_dump(mode="json"),
        }
        if self.sequence is not None:
            out["sequence"] = self.sequence
        return out

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Event:
        """Parse a received CloudEvent; EventError says what is wrong."""
        if not isinstance(obj, Mapping):
            raise EventError(f"an event is a JSON object, got {type(obj).__name__}")
        for key in ("id", "type", "source", "time"):
            if not isinstance(obj.get(key), str) or not obj[key]:
                raise EventError(f"{key}: a non-empty string is required")
        if obj.get("specversion") != SPECVERSION:
            got = obj.get("specversion")
            raise EventError(f"specversion: expected {SPECVERSION!r}, got {got!r}")
        seq = obj.get("sequence")
        if seq is not None and (not isinstance(seq, str) or not seq.isdigit()):
            raise EventError(f"sequence: a decimal string is required, got {seq!r}")
        subject = obj.get("subject")
        return cls(obj["id"], obj["type"], obj["source"],
                   subject if isinstance(subject, str) else None, obj["time"],
                   _parse_data(obj["type"], obj.get("data")), seq)


def _parse_data(etype: str, data: Any) -> EventData:
    family = etype.split(".")[1] if etype.count(".") >= 2 else ""
    if not etype.startswith("sitewarden.") or family not in _DATA_MODELS:
        raise EventError(f"type: unknown event type {etype!r}")
    model = OverdueData if etype == OVERDUE_TYPE else _DATA_MODELS[family]
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EventError(f"data.{where}: {first['msg']}") from None


_DATA_MODELS: dict[str, type[EventData]] = {
    "violation": ViolationData, "camera": StateData, "box": StateData, "review": ReviewData,
}


def source_uri(site_id: str, box_id: str) -> str:
    return f"/sitewarden/{site_id}/{box_id}"


def event_id(*parts: object) -> str:
    """Deterministic id: the same violation phase always gets the same id (dedup key)."""
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def _iso(time: datetime) -> str:
    return time.isoformat(timespec="milliseconds")


def violation_event(data: ViolationData, time: datetime, seq: int = 0) -> Event:
    """One violation phase; `seq` distinguishes successive `updated` phases."""
    return Event(
        id=event_id(data.violation_id, data.phase, seq),
        source=source_uri(data.site_id, data.box_id),
        type=f"sitewarden.violation.{data.kind}",
        subject=f"{data.camera_id}/{data.zone_id}",
        time=_iso(time),
        data=data,
    )


def camera_event(
    site_id: str,
    box_id: str,
    camera_id: str,
    state: Literal["offline", "online", "tampered"],
    time: datetime,
    detail: Mapping[str, Any] | None = None,
) -> Event:
    data = StateData(**_with_detail(
        {"site_id": site_id, "box_id": box_id, "camera_id": camera_id, "state": state}, detail))
    return Event(
        id=event_id(site_id, box_id, camera_id, state, time.isoformat()),
        source=source_uri(site_id, box_id),
        type=f"sitewarden.camera.{state}",
        subject=camera_id,
        time=_iso(time),
        data=data,
    )


BOX_SUBJECT = "_box"  # topic level used for box-wide events (not a camera)


def _with_detail(fixed: dict[str, Any], detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """`fixed` plus `detail`; a detail key that names a fixed one (a degraded part's own
    `camera_id`, say) is kept as `detail_<key>` instead of replacing the envelope's."""
    out = dict(fixed)
    for k, v in (detail or {}).items():
        out[f"detail_{k}" if k in fixed else k] = v
    return out


def box_event(
    site_id: str,
    box_id: str,
    state: Literal["degraded", "ok"],
    time: datetime,
    detail: Mapping[str, Any] | None = None,
) -> Event:
    """A box-wide health change (e.g. a full disk): `sitewarden.box.<state>`."""
    data = StateData(**_with_detail(
        {"site_id": site_id, "box_id": box_id, "camera_id": BOX_SUBJECT, "state": state},
        detail))
    return Event(
        id=event_id(site_id, box_id, "box", state, time.isoformat()),
        source=source_uri(site_id, box_id),
        type=f"sitewarden.box.{state}",
        subject=BOX_SUBJECT,
        time=_iso(time),
        data=data,
    )


def overdue_event(data: OverdueData) -> Event:
    """The escalation of one violation (emitted once per violation)."""
    return Event(
        id=event_id(data.violation_id, "overdue"),
        source=source_uri(data.site_id, data.box_id),
        type=OVERDUE_TYPE,
        subject=f"{data.camera_id}/{data.zone_id}",
        time=data.overdue_at,
        data=data,
    )


def review_event(data: ReviewData, time: datetime, seq: int) -> Event:
    """An operator's decision; `seq` numbers the decisions of one violation (dedup key)."""
    return Event(
        id=event_id(data.violation_id, "review", seq),
        source=source_uri(data.site_id, data.box_id),
        type="sitewarden.review.decided",
        subject=f"{data.camera_id}/{data.zone_id}",
        time=_iso(time),
        data=data,
    )
