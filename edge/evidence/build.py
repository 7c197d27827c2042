"""An evidence recorder for one camera of a site (replay, preview and the live runtime)."""

from __future__ import annotations

from typing import Any

from edge.config import SiteConfig
from edge.evidence.recorder import EvidenceRecorder


def recorder_for(cfg: SiteConfig, camera_id: str, **options: Any) -> EvidenceRecorder:
    """`options` go to EvidenceRecorder (threaded, retention, is_pending, on_status...)."""
    zones = {z.id: z.to_spec() for z in cfg.zones_of(camera_id)}
    return EvidenceRecorder(cfg.storage, cfg.site_id, camera_id, zones, **options)
