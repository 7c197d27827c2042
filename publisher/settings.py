"""MQTT settings (the `mqtt:` section of the site file).

They live here, not in `edge.config`, because the publisher must not import the runtime;
`edge.config.mqtt` re-exports them. Secrets never live in the file: the password is read from
the environment variable named by `password_env`, at every connection attempt.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    # Same rules as edge.config.base.StrictModel: unknown keys are errors, values are frozen.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class TlsConfig(_Strict):
    enabled: bool = True
    ca_file: str | None = Field(default=None, description="PEM CA bundle; default: system CAs")
    cert_file: str | None = Field(default=None, description="client certificate (PEM)")
    key_file: str | None = Field(default=None, description="client private key (PEM)")
    # Only for lab brokers with self-made certificates; never in production.
    insecure_skip_verify: bool = False

    @model_validator(mode="after")
    def _pair(self) -> TlsConfig:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file must be given together")
        return self


class OutboxConfig(_Strict):
    path: str | None = Field(default=None, description="default: <storage.directory>/outbox.db")
    max_bytes: int = Field(default=256 * 1024 * 1024, gt=0, description="payload size budget")
    high_water_frac: float = Field(
        default=0.8, gt=0, le=1, description="above this fraction of max_bytes: status alarm"
    )
    memory_max_events: int = Field(
        default=10_000, gt=0,
        description="events held in memory while the outbox cannot write (full disk)",
    )
    retry_s: float = Field(
        default=5.0, gt=0, le=300,
        description="while the outbox cannot open or write: seconds between attempts",
    )


class SnapshotDeliveryConfig(_Strict):
    enabled: bool = False
    max_bytes: int = Field(default=512 * 1024, gt=0, description="larger JPEGs are not sent")


class MqttConfig(_Strict):
    host: str = Field(min_length=1)
    port: int = Field(default=1883, ge=1, le=65535)
    protocol: Literal["3.1.1", "5"] = "3.1.1"
    client_id: str | None = Field(default=None, description="default: sitewarden-<site>-<box>")
    username: str | None = None
    password_env: str = "SITEWARDEN_MQTT_PASSWORD"
    tls: TlsConfig | None = None
    topic_prefix: str = Field(default="sitewarden", min_length=1)
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    stats_interval_s: float = Field(default=60.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0, le=300)
    reconnect_initial_s: float = Field(default=1.0, gt=0, description="first retry delay")
    reconnect_max_s: float = Field(default=60.0, gt=0, description="retry delay cap")
    max_inflight: int = Field(
        default=20, ge=1, le=1000, description="QoS 1 messages awaiting PUBACK"
    )
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    snapshots: SnapshotDeliveryConfig = Field(default_factory=SnapshotDeliveryConfig)

    @model_validator(mode="before")
    @classmethod
    def _renamed_keys(cls, data: Any) -> Any:
        # Cameras and the MQTT link share one backoff whose settings are named alike; files
        # written before that keep working, with a notice.
        if isinstance(data, dict) and "reconnect_min_s" in data:
            data = dict(data)
            old = data.pop("reconnect_min_s")
            if "reconnect_initial_s" in data:
                raise ValueError("give reconnect_initial_s only (reconnect_min_s is its old name)")
            data["reconnect_initial_s"] = old
            warnings.warn("mqtt.reconnect_min_s is deprecated: rename it to "
                          "mqtt.reconnect_initial_s", DeprecationWarning, stacklevel=2)
        return data

    @model_validator(mode="after")
    def _checks(self) -> MqttConfig:
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("reconnect_max_s must not be smaller than reconnect_initial_s")
        for bad in ("+", "#"):
            if bad in self.topic_prefix:
                raise ValueError(f"topic_prefix must not contain the MQTT wildcard {bad!r}")
        return self

    def password(self) -> str | None:
        return os.environ.get(self.password_env) or None

    def tls_enabled(self) -> bool:
        return self.tls is not None and self.tls.enabled
