"""Camera section: where frames come from and how often they are analysed."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from edge.config.base import StrictModel

if TYPE_CHECKING:
    from calibration import Calibration

Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
NormPoint = tuple[float, float]


class ExclusionMask(StrictModel):
    """An area where detections are ignored (a poster, a mannequin, a reflection)."""

    points: list[NormPoint]


class MotionGateConfig(StrictModel):
    """Skip detection on frames where nothing moved since the last detection."""

    enabled: bool = False
    # A still worker at a duty post must still be seen: detect at least this often.
    refresh_s: float = Field(default=2.0, gt=0)
    min_changed_frac: float = Field(
        default=0.002, ge=0, le=1, description="share of pixels that must change to count"
    )
    pixel_threshold: int = Field(default=20, ge=1, le=255, description="grey-level change")


class HealthConfig(StrictModel):
    """When a camera is reported offline or tampered (its zones are then not watched)."""

    offline_after_s: float = Field(default=10.0, gt=0)
    frozen_after_s: float = Field(default=30.0, gt=0)
    tamper_enabled: bool = True
    tamper_interval_s: float = Field(
        default=1.0, gt=0, le=60, description="picture checks at most this often"
    )
    tamper_hold_s: float = Field(
        default=10.0, gt=0, description="black/saturated/blurred/moved must last this long"
    )
    tamper_clear_s: float = Field(default=10.0, gt=0, description="normal this long to clear")
    reference_after_s: float = Field(
        default=5.0, gt=0, description="normal picture this long before the view is learned"
    )
    moved_shift_frac: float = Field(default=0.025, gt=0, le=1, description="of picture width")
    moved_agreement: float = Field(
        default=0.45, ge=0, le=1, description="share of the reference's edges still seen"
    )
    blur_ratio: float = Field(default=0.15, gt=0, le=1, description="sharpness vs reference")


class StreamConfig(StrictModel):
    """How the streams are read (RTSP over TCP) and how hard reconnection tries."""

    open_timeout_s: float = Field(default=5.0, gt=0, le=120)
    read_timeout_s: float = Field(default=5.0, gt=0, le=120)
    watchdog_s: float = Field(
        default=8.0, gt=0, le=600, description="no decoded frame this long: reconnect"
    )
    reconnect_initial_s: float = Field(default=0.5, gt=0, le=60)
    reconnect_max_s: float = Field(default=30.0, gt=0, le=3600)
    max_width_px: int = Field(
        default=960, ge=160, le=8192,
        description="snapshots are at most this wide; analysed frames are converted straight"
        " to the detector's input size (never wider than this)",
    )
    decode_threads: int = Field(default=1, ge=0, le=16, description="0: FFmpeg decides")
    fast_analysis_decode: bool = Field(
        default=True, description="decode a substream (analysed only) without the deblocking "
        "filter: 1.3x cheaper, same detections; clips stay untouched packet copies")

    @model_validator(mode="after")
    def _ordered(self) -> StreamConfig:
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("reconnect_max_s must not be below reconnect_initial_s")
        return self


class CalibrationPair(StrictModel):
    image_norm: NormPoint = Field(description="a floor point clicked on the frame (x, y in [0, 1])")
    ground_m: tuple[float, float] = Field(description="the same point on the floor, metres")


class CalibrationConfig(StrictModel):
    """Image <-> floor mapping in metres, derived from clicked floor points (the homography is
    always fitted from these pairs, never typed by hand; see docs/calibration.md)."""

    resolution_wh: tuple[int, int] = Field(description="the frame size the points were clicked on")
    pairs: list[CalibrationPair] = Field(min_length=4, description="at least 4; 6+ lets a wrong "
                                         "click be found")
    ransac_threshold_m: float = Field(default=0.10, gt=0, le=5)
    max_rms_m: float = Field(default=0.05, gt=0, le=5)
    person_height_m: tuple[float, float] | None = Field(
        default=None, description="drop detections whose implied standing height is outside "
        "[min, max] metres (posters, reflections, a dog)")

    @model_validator(mode="after")
    def _fits(self) -> CalibrationConfig:
        from calibration import CalibrationError

        try:
            self.fitted()
        except CalibrationError as e:
            raise ValueError(f"the points give no usable calibration ({e.code}): {e}") from None
        lo_hi = self.person_height_m
        if lo_hi is not None and not 0 < lo_hi[0] < lo_hi[1]:
            raise ValueError("person_height_m must be [min, max] with 0 < min < max")
        return self

    def record(self) -> dict[str, object]:
        return {"resolution_wh": list(self.resolution_wh),
                "pairs": [{"image_norm": list(p.image_norm), "ground_m": list(p.ground_m)}
                          for p in self.pairs],
                "ransac_threshold_m": self.ransac_threshold_m, "max_rms_m": self.max_rms_m}

    def fitted(self) -> Calibration:
        """The fitted calibration (cached: the runtime asks for it per frame)."""
        return _fit_cached(json.dumps(self.record(), sort_keys=True))


@functools.lru_cache(maxsize=256)
def _fit_cached(record_json: str) -> Calibration:
    from calibration import from_dict

    return from_dict(json.loads(record_json))


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
    stream: StreamConfig = Field(default_factory=StreamConfig)
    calibration: CalibrationConfig | None = Field(
        default=None, description="floor points in metres: metric zones and person sizes")
