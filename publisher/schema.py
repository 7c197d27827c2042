"""JSON Schema of the events on the wire (published as docs/event.schema.json and by
`sitewarden events schema`). These models describe, they do not build: the builders are in
publisher.events, and the tests check that what they build validates here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from publisher.events import ViolationData

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


EVENT_ADAPTER: TypeAdapter[ViolationEvent | CameraEvent] = TypeAdapter(
    ViolationEvent | CameraEvent
)


def event_json_schema() -> dict[str, Any]:
    schema = EVENT_ADAPTER.json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "sitewarden event (CloudEvents 1.0, JSON)",
        **schema,
    }
