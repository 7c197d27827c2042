"""Building the long-lived parts from a site config (shared by `replay` and `run`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from edge.config import SiteConfig


def open_detector(cfg: SiteConfig, threads: int | None = None) -> Any:
    from models.detector import Detector

    d = cfg.detector
    return Detector.open(
        d.model,
        adapter=d.adapter,
        score_threshold=d.score_threshold,
        nms_iou=d.nms_iou,
        input_size=d.input_size,
        providers=list(d.providers) if d.providers else None,
        threads=threads or d.threads,
    )


def outbox_path(cfg: SiteConfig) -> Path:
    if cfg.mqtt is not None and cfg.mqtt.outbox.path:
        return Path(cfg.mqtt.outbox.path)
    return Path(cfg.storage.directory) / "outbox.db"


@contextmanager
def open_publisher(cfg: SiteConfig) -> Iterator[Any]:
    from publisher.client import Publisher

    assert cfg.mqtt is not None
    path = outbox_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    pub = Publisher(cfg.mqtt, cfg.site_id, cfg.box_id, path)
    pub.start()
    try:
        yield pub
    finally:
        # Whatever the broker has not acknowledged stays in the outbox for the next start.
        pub.flush(timeout_s=5.0)
        pub.stop()


def make_recorder(cfg: SiteConfig, camera_id: str, **options: Any) -> Any:
    """An EvidenceRecorder for one camera's zones; `options` go to its constructor."""
    from edge.evidence import EvidenceRecorder

    zones = {z.id: z.to_spec() for z in cfg.zones_of(camera_id)}
    return EvidenceRecorder(cfg.storage, cfg.site_id, camera_id, zones, **options)


@contextmanager
def open_evidence(cfg: SiteConfig, camera_id: str, is_pending: Any = None) -> Iterator[Any]:
    if not cfg.storage.evidence.enabled:
        yield None
        return
    rec = make_recorder(cfg, camera_id, is_pending=is_pending)
    try:
        yield rec
    finally:
        rec.stop()
