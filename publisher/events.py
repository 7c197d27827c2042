"""CloudEvents 1.0 envelopes for violations and camera status (the wire contract).

The same JSON goes to MQTT, to `replay --events-out` and to the review page. Builders here
take plain values, never frames: the publisher knows events, not video.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

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


class CloudEvent(BaseModel):
    model_config = ConfigDict(extra="allow")
    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str | None = None
    time: str
    datacontenttype: str = "application/json"
    data: dict[str, Any]


def source_uri(site_id: str, box_id: str) -> str:
    return f"/sitewarden/{site_id}/{box_id}"


def event_id(*parts: object) -> str:
    """Deterministic id: the same violation phase always gets the same id (dedup key)."""
    return str(uuid.uuid5(_NS, "/".join(str(p) for p in parts)))


def violation_event(data: ViolationData, time: datetime, seq: int = 0) -> dict[str, Any]:
    """Envelope one violation phase; `seq` distinguishes successive `updated` phases."""
    ev = CloudEvent(
        id=event_id(data.violation_id, data.phase, seq),
        source=source_uri(data.site_id, data.box_id),
        type=f"sitewarden.violation.{data.kind}",
        subject=f"{data.camera_id}/{data.zone_id}",
        time=time.isoformat(timespec="milliseconds"),
        data=data.model_dump(mode="json"),
    )
    return ev.model_dump(mode="json", exclude_none=False)


def camera_event(
    site_id: str,
    box_id: str,
    camera_id: str,
    state: Literal["offline", "online", "tampered"],
    time: datetime,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    data = {"site_id": site_id, "box_id": box_id, "camera_id": camera_id, "state": state}
    data.update(detail or {})
    ev = CloudEvent(
        id=event_id(site_id, box_id, camera_id, state, time.isoformat()),
        source=source_uri(site_id, box_id),
        type=f"sitewarden.camera.{state}",
        subject=camera_id,
        time=time.isoformat(timespec="milliseconds"),
        data=data,
    )
    return ev.model_dump(mode="json")


BOX_SUBJECT = "_box"  # topic level used for box-wide events (not a camera)


def box_event(
    site_id: str,
    box_id: str,
    state: Literal["degraded", "ok"],
    time: datetime,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A box-wide health change (e.g. evidence storage full): `sitewarden.box.<state>`."""
    data: dict[str, Any] = {
        "site_id": site_id, "box_id": box_id, "camera_id": BOX_SUBJECT, "state": state,
    }
    data.update(detail or {})
    ev = CloudEvent(
        id=event_id(site_id, box_id, "box", state, time.isoformat()),
        source=source_uri(site_id, box_id),
        type=f"sitewarden.box.{state}",
        subject=BOX_SUBJECT,
        time=time.isoformat(timespec="milliseconds"),
        data=data,
    )
    return ev.model_dump(mode="json")
