"""What one MQTT message is, before the store sees it (pure: no I/O).

    <prefix>/<site>/<box>/events/<camera>/<kind>     a CloudEvent (shared subscription)
    <prefix>/<site>/<box>/status                     retained box status, Last Will
    <prefix>/<site>/<box>/cameras/<camera>/status    retained camera status

A message is an `EventIn`, a `StatusIn`, `Skip` (nothing to do: an empty retained message
that deletes a status) or a `Rejected` with a reason (counted, logged, acknowledged: a bad
message is never sent again forever). The topic names the box that published it (brokers
authorise boxes by topic), so an event or status whose own site or box says otherwise is
refused as `topic_mismatch`, never filed under another site.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from console.store import StatusMessage
from publisher.events import source_uri

REASONS = ("oversized", "malformed_json", "bad_topic", "topic_mismatch", "invalid",
           "unknown_type", "store_error")


@dataclass(frozen=True)
class EventIn:
    event: dict[str, Any]


@dataclass(frozen=True)
class StatusIn:
    status: StatusMessage


@dataclass(frozen=True)
class Skip:
    why: str


@dataclass(frozen=True)
class Rejected:
    reason: str  # one of REASONS
    detail: str


Classified = EventIn | StatusIn | Skip | Rejected


def classify(topic: str, payload: bytes, prefix: str, max_bytes: int) -> Classified:
    if len(payload) > max_bytes:
        return Rejected("oversized", f"{len(payload)} bytes > ingest.max_payload_bytes "
                        f"{max_bytes}")
    levels = _levels(topic, prefix)
    if levels is None:
        return Rejected("bad_topic", "not under the topic prefix")
    if len(levels) == 3 and levels[2] == "status":
        return _status(levels[0], levels[1], None, payload)
    if len(levels) == 5 and levels[2] == "cameras" and levels[4] == "status":
        return _status(levels[0], levels[1], levels[3], payload)
    if len(levels) == 5 and levels[2] == "events":
        return _event(levels[0], levels[1], levels[3], payload)
    return Rejected("bad_topic", "not an event or status topic")


def _levels(topic: str, prefix: str) -> list[str] | None:
    if not topic.startswith(prefix + "/"):
        return None
    levels = topic[len(prefix) + 1:].split("/")
    return levels if all(levels) else None


def _json_object(payload: bytes) -> dict[str, Any] | str:
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return f"not JSON: {e}"
    return obj if isinstance(obj, dict) else "not a JSON object"


def _event(site: str, box: str, camera: str, payload: bytes) -> Classified:
    obj = _json_object(payload)
    if isinstance(obj, str):
        return Rejected("malformed_json", obj)
    if obj.get("source") != source_uri(site, box):
        return Rejected("topic_mismatch", f"source {obj.get('source')!r} is not "
                        f"{source_uri(site, box)!r}")
    data = obj.get("data")
    if isinstance(data, dict):
        named = {k: data.get(k) for k in ("site_id", "box_id", "camera_id")}
        for key, expected in (("site_id", site), ("box_id", box), ("camera_id", camera)):
            got = named[key]
            if got is not None and got != expected:
                return Rejected("topic_mismatch", f"data.{key} {got!r} is not the topic's "
                                f"{expected!r}")
    return EventIn(obj)


def _status(site: str, box: str, camera: str | None, payload: bytes) -> Classified:
    if not payload:
        return Skip("retained status deleted")
    obj = _json_object(payload)
    if isinstance(obj, str):
        return Rejected("malformed_json", obj)
    expected = {"site_id": site, "box_id": box}
    if camera is not None:
        expected["camera_id"] = camera
    for key, value in expected.items():
        if key in obj and obj[key] != value:
            return Rejected("topic_mismatch", f"{key} {obj[key]!r} is not the topic's "
                            f"{value!r}")
    # The camera status lists its ids; the store reads them from the payload.
    full = {**obj, **expected} if camera is not None else obj
    return StatusIn(StatusMessage(site, box, camera, full))
