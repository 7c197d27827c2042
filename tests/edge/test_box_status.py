"""A full evidence disk becomes one box-level `degraded` event, then one `ok` when it clears."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge.config import parse_config
from edge.runtime import Supervisor
from models.types import Detections
from publisher.events import box_event
from publisher.topics import Topics


class _NoPeople:
    def detect(self, image_bgr: Any) -> Detections:
        return Detections.empty()

    def detect_batch(self, images: list[Any]) -> list[Detections]:
        return [Detections.empty() for _ in images]


def test_storage_status_changes_are_events_once_each(tmp_path: Path) -> None:
    cfg = parse_config(f"""
site_id: plant-7
box_id: edge-01
detector: {{model: /nonexistent.onnx}}
cameras: [{{id: cam, url: rtsp://127.0.0.1:9/none}}]
storage: {{directory: "{tmp_path}"}}
""")
    sup = Supervisor(cfg, detectors=[_NoPeople()], tick_s=0.05)
    seen: list[dict[str, Any]] = []
    sup.add_listener(lambda e: seen.append(e.to_wire()))
    sup.dispatcher.start()
    sup.box_health.attach(sup.emit)
    sup._storage_status("degraded", {"reason": "disk_full", "free_bytes": 0})
    sup._storage_status("degraded", {"reason": "disk_full", "free_bytes": 0})
    assert sup.health()["status"] == "degraded"
    sup._storage_status("ok", {})
    assert sup.dispatcher.drain(5)
    assert [e["type"] for e in seen] == ["sitewarden.box.degraded", "sitewarden.box.ok"]
    assert seen[0]["data"]["reason"] == "disk_full"
    assert sup.health()["storage"] == "ok"
    sup.close(timeout_s=0.5)


def test_box_events_have_their_own_topic() -> None:
    from datetime import UTC, datetime

    ev = box_event("plant-7", "edge-01", "degraded", datetime(2026, 1, 1, tzinfo=UTC))
    assert Topics("sw", "plant-7", "edge-01").event(ev) == "sw/plant-7/edge-01/events/_box/box"
