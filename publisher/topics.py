"""The MQTT topic tree of one box (documented in docs/mqtt.md).

    <prefix>/<site>/<box>/status                          retained box status, Last Will
    <prefix>/<site>/<box>/cameras/<camera_id>/status      retained camera status
    <prefix>/<site>/<box>/events/<camera_id>/<kind>       CloudEvents, QoS 1
    <prefix>/<site>/<box>/snapshots/<camera_id>/<violation_id>   JPEG (optional)
    <prefix>/<site>/<box>/stats                           periodic stats
"""

from __future__ import annotations

from dataclasses import dataclass

from publisher.events import Event

_FORBIDDEN = ("/", "+", "#", "\x00")


class TopicError(ValueError):
    """An event or id that cannot be placed in the topic tree."""


def check_segment(value: object, what: str) -> str:
    """One topic level: non-empty text without `/`, wildcards or NUL."""
    if not isinstance(value, str) or not value:
        raise TopicError(f"{what} must be a non-empty string, got {value!r}")
    for ch in _FORBIDDEN:
        if ch in value:
            raise TopicError(f"{what} {value!r} must not contain {ch!r} (it is one topic level)")
    return value


def event_camera_and_kind(event: Event) -> tuple[str, str]:
    """Camera and topic kind of an event.

    `sitewarden.violation.<kind>` → `<kind>` (danger_zone, duty_post, ...);
    `sitewarden.camera.<state>` → `camera`; any other `sitewarden.<family>.<x>` → `<family>`.
    The camera is `data.camera_id`.
    """
    etype = event.type
    if not etype.startswith("sitewarden."):
        raise TopicError(f"event type must start with 'sitewarden.', got {etype!r}")
    parts = etype.split(".")
    if len(parts) < 3 or not all(parts):
        raise TopicError(f"event type {etype!r} must look like sitewarden.<family>.<name>")
    kind = parts[2] if parts[1] == "violation" else parts[1]
    return check_segment(event.camera_id, "camera id"), check_segment(kind, "event kind")


@dataclass(frozen=True)
class Topics:
    prefix: str
    site_id: str
    box_id: str

    def __post_init__(self) -> None:
        check_segment(self.site_id, "site_id")
        check_segment(self.box_id, "box_id")
        for level in self.prefix.split("/"):
            check_segment(level, "topic_prefix level")

    @property
    def root(self) -> str:
        return f"{self.prefix}/{self.site_id}/{self.box_id}"

    @property
    def status(self) -> str:
        return f"{self.root}/status"

    @property
    def stats(self) -> str:
        return f"{self.root}/stats"

    def camera_status(self, camera_id: str) -> str:
        return f"{self.root}/cameras/{check_segment(camera_id, 'camera id')}/status"

    def event(self, event: Event) -> str:
        camera, kind = event_camera_and_kind(event)
        return f"{self.root}/events/{camera}/{kind}"

    def events_filter(self, camera_id: str | None = None) -> str:
        cam = "+" if camera_id is None else check_segment(camera_id, "camera id")
        return f"{self.root}/events/{cam}/+"

    def snapshot(self, camera_id: str, violation_id: str) -> str:
        cam = check_segment(camera_id, "camera id")
        return f"{self.root}/snapshots/{cam}/{check_segment(violation_id, 'violation id')}"
