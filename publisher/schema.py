"""JSON Schema of the events on the wire (published as docs/event.schema.json and by
`sitewarden events schema`). These models describe, they do not build: the builders are in
publisher.events, and the tests check that what they build validates here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from publisher.events import OverdueData, ReviewData, ViolationData

SCHEMA_ID = "https://sitewarden.invalid/schemas/event.schema.json"


class CameraData(BaseModel):
    model_config = ConfigDict(extra="allow")
    site_id: str
    box_id: str
    camera_id: str
    state: Literal["offline", "online", "tampered"]


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow")
    specversion: Literal["1.0"] = Field(description="CloudEvents version")
    id: str = Field(description="unique per event; the de-duplication key (at-least-once)")
    source: str = Field(description="/sitewarden/<site_id>/<box_id>")
    time: str = Field(description="ISO 8601 with offset, when the event was emitted")
    datacontenttype: Literal["application/json"] = "application/json"
    sequence: str | None = Field(
        default=None, pattern=r"^[0-9]+$",
        description="CloudEvents sequence extension: the box numbers its events (decimal, "
        "per box, increasing, persisted across restarts) so that a consumer sees gaps")


class ViolationEvent(_Envelope):
    """One phase (started, updated, ended) of a violation."""

    type: str = Field(pattern=r"^sitewarden\.violation\.[a-z_]+$")
    subject: str = Field(description="<camera_id>/<zone_id>")
    data: ViolationData


class CameraEvent(_Envelope):
    """A camera changed state (offline, online, tampered)."""

    type: str = Field(pattern=r"^sitewarden\.camera\.(offline|online|tampered)$")
    subject: str = Field(description="<camera_id>")
    data: CameraData


class BoxData(BaseModel):
    model_config = ConfigDict(extra="allow")
    site_id: str
    box_id: str
    camera_id: Literal["_box"]
    state: Literal["degraded", "ok"]
    reason: str | None = Field(default=None, description="e.g. disk_full")


class BoxEvent(_Envelope):
    """The box's own health changed (degraded: a part does not work, e.g. a full disk)."""

    type: str = Field(pattern=r"^sitewarden\.box\.(degraded|ok)$")
    subject: Literal["_box"]
    data: BoxData


class ReviewEvent(_Envelope):
    """An operator decided on a violation (or reopened it); consumers upsert by `id`."""

    type: Literal["sitewarden.review.decided"]
    subject: str = Field(description="<camera_id>/<zone_id>")
    data: ReviewData


class OverdueEvent(_Envelope):
    """A violation nobody handled within review.overdue_after_s (escalate it)."""

    type: Literal["sitewarden.violation.overdue"]
    subject: str = Field(description="<camera_id>/<zone_id>")
    data: OverdueData


AnyEvent = ViolationEvent | CameraEvent | BoxEvent | ReviewEvent | OverdueEvent
EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)


def event_json_schema() -> dict[str, Any]:
    schema = EVENT_ADAPTER.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "sitewarden event (CloudEvents 1.0, JSON)",
        **schema,
    }
