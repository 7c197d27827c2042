"""MQTT section. Secrets never live in the file: the password is read from `password_env`."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, model_validator

from edge.config.base import StrictModel


class TlsConfig(StrictModel):
    enabled: bool = True
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    # Only for lab brokers with self-made certificates; never in production.
    insecure_skip_verify: bool = False

    @model_validator(mode="after")
    def _pair(self) -> TlsConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file must be given together")
        return self


class OutboxConfig(StrictModel):
    path: str | None = Field(default=None, description="default: <storage.directory>/outbox.db")
    max_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    high_water_frac: float = Field(default=0.8, gt=0, le=1)


class SnapshotDeliveryConfig(StrictModel):
    enabled: bool = False
    max_bytes: int = Field(default=512 * 1024, gt=0)


class MqttConfig(StrictModel):
    host: str = Field(min_length=1)
    port: int = Field(default=1883, ge=1, le=65535)
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    client_id: str | None = None
    username: str | None = None
    password_env: str = "SITEWARDEN_MQTT_PASSWORD"
    tls: TlsConfig | None = None
    topic_prefix: str = Field(default="sitewarden", min_length=1)
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    stats_interval_s: float = Field(default=60.0, gt=0)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    snapshots: SnapshotDeliveryConfig = Field(default_factory=SnapshotDeliveryConfig)

    def password(self) -> str | None:
        return os.environ.get(self.password_env) or None
