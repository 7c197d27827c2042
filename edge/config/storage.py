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


class StorageConfig(StrictModel):
    directory: str = "./var/sitewarden"
    max_bytes: int = Field(default=20 * 1024**3, gt=0, description="evidence size budget")
    max_age_days: float = Field(default=30.0, gt=0)
    min_free_bytes: int = Field(default=512 * 1024**2, ge=0)
    evidence: EvidenceConfig = Field(default_factory=EvidenceConfig)

    @model_validator(mode="after")
    def _sane(self) -> StorageConfig:
        return self
