"""Running a Supervisor inside a test, with events collected in memory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from edge.config import SiteConfig, parse_config
from edge.runtime import Supervisor
from publisher.events import Event

FAST_STREAM = {"open_timeout_s": 1.5, "read_timeout_s": 1.5, "watchdog_s": 3.0,
               "reconnect_initial_s": 0.2, "reconnect_max_s": 1.0}
FAST_HEALTH = {"offline_after_s": 2.0, "frozen_after_s": 2.0, "tamper_hold_s": 1.0,
               "tamper_clear_s": 1.0, "reference_after_s": 1.0}


def camera(cam_id: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"id": cam_id, "url": url, "analysis_fps": 5, "stream": dict(FAST_STREAM),
            "health": dict(FAST_HEALTH), **extra}


def site(assets: Path, tmp: Path, cameras: list[dict[str, Any]],
         zones: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "site_id": "plant-7", "box_id": "edge-01", "timezone": "UTC",
        "detector": {"model": str(assets / "models" / "yolox_nano.onnx"), "sessions": 2},
        "cameras": cameras, "zones": zones or [],
        "storage": {"directory": str(tmp / "store")}, **extra,
    }


def whole_frame_zone(zone_id: str, cam_id: str, kind: str = "danger_zone",
                     **extra: Any) -> dict[str, Any]:
    return {"id": zone_id, "camera": cam_id, "kind": kind,
            "points": [[0, 0], [1, 0], [1, 1], [0, 1]], **extra}


def to_config(doc: dict[str, Any]) -> SiteConfig:
    return parse_config(yaml.safe_dump(doc))


class Running:
    def __init__(self, sup: Supervisor) -> None:
        self.sup = sup
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        sup.add_listener(self._on_event)

    def _on_event(self, ev: Event) -> None:
        with self._lock:
            self.events.append(ev.to_wire())

    def of(self, type_suffix: str, subject: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e["type"].endswith(type_suffix)
                    and (subject is None or e.get("subject", "").startswith(subject))]

    def stats(self, cam_id: str) -> dict[str, Any]:
        return next(c for c in self.sup.camera_stats() if c["camera_id"] == cam_id)


@contextmanager
def running(cfg: SiteConfig, config_path: Path | None = None, evidence: bool = False,
            tick_s: float = 0.2) -> Iterator[Running]:
    sup = Supervisor(cfg, config_path, evidence=evidence, tick_s=tick_s)
    r = Running(sup)
    sup.start()
    th = threading.Thread(target=sup.run, daemon=True)
    th.start()
    try:
        yield r
    finally:
        sup.stop()
        th.join(5)
        sup.close(timeout_s=3.0)
