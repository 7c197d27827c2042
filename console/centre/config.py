"""The console file of a monitoring centre (`sitewarden console CONSOLE.yaml`).

Strict like the site file: unknown keys are errors, and secrets never live in it (the
database password, the MQTT password and the object store's keys are named environment
variables). Loaded and reported by edge/config/loader.py (key path, line and reason).

    title: Province monitoring centre      # optional, shown in the pages
    timezone: Asia/Shanghai                # display default (IANA name)
    database:
      url: postgresql://sitewarden@db.centre.example/sitewarden
      password_env: SITEWARDEN_DB_PASSWORD
    mqtt:
      host: emqx.centre.example
      port: 8883
      tls: {ca_file: /etc/sitewarden/ca.pem}
      username: console
      share_group: sitewarden-console
    http: {host: 0.0.0.0, port: 8080, secure_cookies: true}
    evidence:
      endpoint_url: https://minio.centre.example:9000
      bucket: sitewarden-evidence
"""

from __future__ import annotations

import os
import re
import socket
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from console.settings import OBJECT_STORE_SECRET_KEYS, HttpConfig, valid_bucket
from publisher.settings import MqttConfig, TlsConfig

_SECRET_KEYS = {**OBJECT_STORE_SECRET_KEYS, "password": "password_env"}
_SEGMENT = re.compile(r"^[^/+#\x00]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        # Named here so the error says where the value belongs instead of "unknown key".
        if isinstance(data, dict):
            for key in data:
                if key in _SECRET_KEYS and key not in cls.model_fields:
                    hint = _SECRET_KEYS[key]
                    if hint not in cls.model_fields:
                        hint = " / ".join(f for f in cls.model_fields if f.endswith("_env"))
                    raise ValueError(
                        f"unknown key {key!r}: secrets are not written in the file; put the "
                        f"value in an environment variable and name it with {hint}")
        return data


class DatabaseConfig(_Strict):
    url: str = Field(
        default="sqlite:///console.db",
        description="sqlite:///path (a relative path is taken from the console file's folder) "
        "or postgresql://user@host[:port]/dbname; never with a password")
    password_env: str = Field(
        default="SITEWARDEN_DB_PASSWORD",
        description="environment variable holding the database password (PostgreSQL); when "
        "unset, libpq's own PGPASSWORD / ~/.pgpass apply")

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        scheme = v.split("://", 1)[0] if "://" in v else ""
        if scheme not in ("sqlite", "postgresql", "postgres", "postgresql+psycopg"):
            raise ValueError(f"{v!r}: use sqlite:///path or postgresql://user@host/dbname")
        if scheme != "sqlite" and _make_url(v).password is not None:
            raise ValueError("a password in database.url: secrets are not written in the "
                             "file; put it in the variable named by database.password_env")
        return v

    def resolved_url(self) -> str:
        """The URL to connect with: the password from the environment added."""
        password = os.environ.get(self.password_env)
        if not password or self.url.startswith("sqlite"):
            return self.url
        return _make_url(self.url).set(password=password).render_as_string(hide_password=False)


class CentreMqttConfig(_Strict):
    """The ingest's link to the broker (cluster): MQTT 5 only (shared subscriptions,
    session expiry, flow control)."""

    host: str = Field(min_length=1)
    port: int = Field(default=1883, ge=1, le=65535)
    client_id: str | None = Field(
        default=None, description="this replica's client id; must be stable (its persistent "
        "session holds what was sent to it and not yet acknowledged) and unique per replica")
    client_id_env: str = Field(
        default="SITEWARDEN_CONSOLE_ID", description="environment variable that overrides "
        "client_id, so that replicas sharing one file get their own ids; without both: "
        "sitewarden-console-<hostname>")
    username: str | None = None
    password_env: str = "SITEWARDEN_MQTT_PASSWORD"
    tls: TlsConfig | None = None
    topic_prefix: str = Field(default="sitewarden", min_length=1)
    share_group: str = Field(
        default="sitewarden-console", description="replicas in one group split the events")
    keepalive_s: int = Field(default=30, ge=5, le=3600)
    session_expiry_s: int = Field(
        default=24 * 3600, ge=60, description="how long the broker keeps this replica's "
        "session (and queues its messages) while it is away")
    receive_maximum: int = Field(
        default=2000, ge=10, le=65535, description="QoS 1 messages the broker may send before "
        "this replica acknowledges; at least ingest.batch_max_events (a few batches, so the "
        "broker keeps sending while one commits); held in memory: times "
        "ingest.max_payload_bytes bounds it")
    connect_timeout_s: float = Field(default=10.0, gt=0, le=300)
    reconnect_initial_s: float = Field(default=1.0, gt=0)
    reconnect_max_s: float = Field(default=60.0, gt=0)

    @field_validator("share_group")
    @classmethod
    def _group(cls, v: str) -> str:
        if not _SEGMENT.match(v):
            raise ValueError(f"{v!r}: one topic level, without '/', '+' or '#'")
        return v

    @model_validator(mode="after")
    def _checks(self) -> CentreMqttConfig:
        if self.reconnect_max_s < self.reconnect_initial_s:
            raise ValueError("reconnect_max_s must not be smaller than reconnect_initial_s")
        if any(c in self.topic_prefix for c in "+#"):
            raise ValueError("topic_prefix must not contain an MQTT wildcard")
        return self

    def resolved_client_id(self) -> str:
        return (os.environ.get(self.client_id_env) or self.client_id
                or f"sitewarden-console-{socket.gethostname()}")

    def link_settings(self) -> MqttConfig:
        """The publisher's settings type, for the connection helpers both sides share."""
        return MqttConfig(
            host=self.host, port=self.port, protocol="5", client_id=self.resolved_client_id(),
            username=self.username, password_env=self.password_env, tls=self.tls,
            topic_prefix=self.topic_prefix, keepalive_s=self.keepalive_s,
            session_expiry_s=self.session_expiry_s, connect_timeout_s=self.connect_timeout_s,
            reconnect_initial_s=self.reconnect_initial_s,
            reconnect_max_s=self.reconnect_max_s)


class IngestConfig(_Strict):
    batch_max_events: int = Field(default=500, ge=1, le=5000,
                                  description="messages committed (then acknowledged) together")
    batch_max_wait_ms: float = Field(default=50.0, gt=0, le=5000,
                                     description="longest a message waits for its batch")
    max_payload_bytes: int = Field(default=64 * 1024, ge=1024,
                                   description="larger messages are rejected (and acknowledged)")
    retry_initial_s: float = Field(default=0.5, gt=0, description="database unreachable: "
                                   "first retry delay")
    retry_max_s: float = Field(default=30.0, gt=0, description="retry delay cap")
    keep_event_ids_days: float = Field(
        default=14.0, ge=1, description="event ids are remembered this long for de-duplication")

    @model_validator(mode="after")
    def _delays(self) -> IngestConfig:
        if self.retry_max_s < self.retry_initial_s:
            raise ValueError("retry_max_s must not be smaller than retry_initial_s")
        return self


class ObjectStoreConfig(_Strict):
    """Where boxes upload evidence (their `storage.upload`); the centre only reads it, by
    handing browsers short-lived presigned URLs."""

    bucket: str
    endpoint_url: str | None = Field(default=None, description="http(s)://host[:port]; "
                                     "absent: AWS S3")
    public_endpoint_url: str | None = Field(
        default=None, description="the address browsers reach the store at, when it differs "
        "from endpoint_url (URLs are signed for it)")
    region: str = Field(default="us-east-1", min_length=1)
    addressing_style: Literal["path", "virtual"] = "path"
    access_key_env: str = Field(default="AWS_ACCESS_KEY_ID", min_length=1)
    secret_key_env: str = Field(default="AWS_SECRET_ACCESS_KEY", min_length=1)
    session_token_env: str | None = None
    ca_file: str | None = Field(default=None, description="PEM CA bundle for a private CA")
    url_ttl_s: int = Field(default=300, ge=10, le=7 * 24 * 3600,
                           description="lifetime of a presigned URL")

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if not valid_bucket(v):
            raise ValueError(f"{v!r} is not a valid bucket name")
        return v

    @field_validator("endpoint_url", "public_endpoint_url")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v)
        if "@" in parts.netloc:
            raise ValueError("credentials in the URL: secrets are not written in the file; "
                             "name their environment variables with access_key_env / "
                             "secret_key_env")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{v!r}: expected http(s)://host[:port]")
        return v.rstrip("/")


class ConsoleConfig(_Strict):
    title: str = Field(default="sitewarden", min_length=1, max_length=100)
    timezone: str = Field(default="UTC", description="IANA name; pages show times in it")
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    mqtt: CentreMqttConfig | None = Field(default=None,
                                          description="the ingest; off when absent")
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    http: HttpConfig = Field(default_factory=HttpConfig)
    evidence: ObjectStoreConfig | None = Field(
        default=None, description="evidence in object storage; without it no evidence is shown")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {v!r}; use an IANA name such as "
                             "Asia/Shanghai") from e
        return v

    @model_validator(mode="after")
    def _window(self) -> ConsoleConfig:
        if self.mqtt is not None and self.mqtt.receive_maximum < self.ingest.batch_max_events:
            raise ValueError(
                f"mqtt.receive_maximum ({self.mqtt.receive_maximum}) must be at least "
                f"ingest.batch_max_events ({self.ingest.batch_max_events}): a batch waits "
                "for messages the broker would hold back")
        return self


def _make_url(url: str) -> Any:
    # SQLAlchemy's URL parser, imported on use: edge.config's loader imports this module.
    from sqlalchemy.engine import make_url

    return make_url(url)

