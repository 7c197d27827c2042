"""Storage and evidence sections."""

from __future__ import annotations

from pydantic import Field, model_validator

from edge.config.base import StrictModel


class EvidenceConfig(StrictModel):
    enabled: bool = True
    pre_s: float = Field(default=5.0, ge=0, le=120)
    post_s: float = Field(default=5.0, ge=0, le=120)
    max_clip_s: float = Field(default=120.0, gt=0)
    jpeg_quality: int = Field(default=85, ge=10, le=100)
    raw_snapshot: bool = Field(default=True, description="also keep an unannotated copy")
    lookback_s: float = Field(
        default=10.0,
        ge=0,
        le=600,
        description="extra packet history kept beyond pre_s, because a violation is reported "
        "after it started (min_duration_s) and packets are demuxed ahead of analysis",
    )
    ring_max_bytes: int = Field(
        default=64 * 1024**2, gt=0, description="per camera cap on buffered compressed video"
    )
    queue_size: int = Field(default=32, ge=1, le=1024, description="pending writes per camera")
    stale_s: float = Field(
        default=10.0,
        gt=0,
        description="write a clip with what there is when the main stream lags analysis by this",
    )


class StorageConfig(StrictModel):
    directory: str = "./var/sitewarden"
    outbox_path: str | None = Field(
        default=None,
        description="the MQTT outbox database (default <directory>/outbox.db); put it on its "
        "own partition so that evidence filling the disk can never stop event delivery",
    )
    max_bytes: int = Field(default=20 * 1024**3, gt=0, description="evidence size budget")
    max_age_days: float = Field(default=30.0, gt=0)
    min_free_bytes: int = Field(default=512 * 1024**2, ge=0)
    retention_interval_s: float = Field(default=60.0, gt=0, description="sweep period")
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)

    @model_validator(mode="after")
    def _sane(self) -> StorageConfig:
        ev = self.evidence
        if ev.max_clip_s < ev.pre_s:
            raise ValueError(
                f"evidence.max_clip_s ({ev.max_clip_s}) must be at least evidence.pre_s "
                f"({ev.pre_s}), or no clip could reach the start of a violation"
            )
        return self
