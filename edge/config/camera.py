"""Camera section: where frames come from and how often they are analysed."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from edge.config.base import StrictModel

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
NormPoint = tuple[float, float]


class ExclusionMask(StrictModel):
    """An area where detections are ignored (a poster, a mannequin, a reflection)."""

    points: list[NormPoint]


class MotionGateConfig(StrictModel):
    enabled: bool = False
    # A still worker at a duty post must still be seen: detect at least this often.
    refresh_s: float = Field(default=2.0, gt=0)
    min_changed_frac: float = Field(default=0.002, ge=0, le=1)


class HealthConfig(StrictModel):
    offline_after_s: float = Field(default=10.0, gt=0)
    frozen_after_s: float = Field(default=30.0, gt=0)
    tamper_enabled: bool = True


class CameraConfig(StrictModel):
    id: Identifier
    url: str = Field(min_length=1, description="rtsp:// URL or a video file path")
    substream_url: str | None = Field(
        default=None, description="low-resolution stream used for detection"
    )
    analysis_fps: float = Field(default=5.0, gt=0, le=60)
    enabled: bool = True
    exclusions: list[ExclusionMask] = Field(default_factory=list)
    motion: MotionGateConfig = Field(default_factory=MotionGateConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)

    @field_validator("url", "substream_url")
    @classmethod
    def _no_inline_credentials_hint(cls, v: str | None) -> str | None:
        # Credentials inside the URL are allowed (NVRs need them) but may be given as
        # ${ENV_VAR} so that the file itself carries no secret.
        return v
