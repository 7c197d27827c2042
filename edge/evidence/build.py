"""An evidence recorder for one camera of a site (replay, preview and the live runtime), and
the box's evidence uploader."""

from __future__ import annotations

from typing import Any

from edge.config import SiteConfig
from edge.evidence.finalize import UploadHook
from edge.evidence.recorder import EvidenceRecorder
from edge.evidence.retention import Retention
from edge.evidence.status import StatusCallback
from edge.evidence.uploader import Uploader


def recorder_for(
    cfg: SiteConfig, camera_id: str, uploader: UploadHook | None = None, **options: Any
) -> EvidenceRecorder:
    """`options` go to EvidenceRecorder (threaded, retention, is_pending, on_status...);
    with `uploader`, every completed violation's files are queued for upload."""
    from edge.core.metric import zone_specs

    # The zones as the rules use them (a buffer_m zone is drawn grown).
    zones = {s.zone_id: s for s in zone_specs(cfg, camera_id)}
    return EvidenceRecorder(cfg.storage, cfg.site_id, camera_id, zones, upload=uploader,
                            **options)


def uploader_for(
    cfg: SiteConfig, retention: Retention | None, on_status: StatusCallback | None = None
) -> Uploader | None:
    """The box's uploader (None when `storage.upload` is absent or disabled), with the
    retention guard that keeps every violation until its files are in the store."""
    uploader = Uploader.from_config(cfg, on_status)
    if uploader is not None and retention is not None:
        retention.add_guard(uploader.is_pending)
    return uploader
