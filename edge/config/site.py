"""The whole site file: detector, cameras, zones, MQTT, storage, HTTP."""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from console.settings import HttpConfig  # the centre's console file uses it too
from edge.config.base import StrictModel
from edge.config.camera import CameraConfig, Identifier
from edge.config.mqtt import MqttConfig
from edge.config.storage import StorageConfig
from edge.config.zone import ZoneConfig

Provider = Literal["tensorrt", "cuda", "openvino", "cpu"]


class DetectorConfig(StrictModel):
    model: str = Field(min_length=1, description="path to an ONNX detector")
    adapter: Literal["auto", "yolox", "ultralytics", "nanodet"] = "auto"
    score_threshold: float = Field(default=0.35, gt=0, lt=1)
    nms_iou: float = Field(default=0.45, gt=0, lt=1)
    input_size: tuple[int, int] | None = Field(
        default=None, description="(width, height) for models with dynamic input"
    )
    providers: list[Provider] | None = Field(
        default=None, description="preference order; default: every installed one"
    )
    threads: int = Field(default=1, ge=1, le=64)
    sessions: int = Field(default=0, ge=0, le=16, description="0: one per core")


class SiteConfig(StrictModel):
    site_id: Identifier
    box_id: Identifier
    timezone: str | None = Field(default=None, description="IANA name; default: the box's zone")
    detector: DetectorConfig
    cameras: list[CameraConfig] = Field(min_length=1)
    zones: list[ZoneConfig] = Field(default_factory=list)
    mqtt: MqttConfig | None = None
    storage: StorageConfig = Field(default_factory=StorageConfig)
    http: HttpConfig | None = Field(
        default=None, description="the console (pages, JSON API, evidence files); off when absent")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as Asia/Shanghai"
            ) from e
        return v

    @model_validator(mode="after")
    def _cross_refs(self) -> SiteConfig:
        _unique("cameras", [c.id for c in self.cameras])
        _unique("zones", [z.id for z in self.zones])
        cameras = {c.id: c for c in self.cameras}
        for i, z in enumerate(self.zones):
            if z.camera not in cameras:
                raise ValueError(
                    f"zones[{i}].camera: camera {z.camera!r} is not defined; "
                    f"known cameras: {', '.join(sorted(cameras))}"
                )
            metric = [k for k in ("buffer_m", "min_distance_m") if getattr(z, k, None)]
            if metric and cameras[z.camera].calibration is None:
                raise ValueError(
                    f"zones[{i}].{metric[0]}: metres need the camera's calibration; give "
                    f"cameras[{list(cameras).index(z.camera)}].calibration (floor points)")
        return self

    def camera(self, camera_id: str) -> CameraConfig:
        for c in self.cameras:
            if c.id == camera_id:
                return c
        raise KeyError(camera_id)

    def zones_of(self, camera_id: str) -> list[ZoneConfig]:
        return [z for z in self.zones if z.camera == camera_id]


def _unique(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for i, x in enumerate(ids):
        if x in seen:
            raise ValueError(f"{what}[{i}].id: {x!r} is used twice; ids must be unique")
        seen.add(x)
