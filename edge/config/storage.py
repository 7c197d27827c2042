"""Storage and evidence sections."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from console.settings import OBJECT_STORE_SECRET_KEYS, valid_bucket
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


_SECRET_KEYS = {**OBJECT_STORE_SECRET_KEYS, "password": "secret_key_env"}
_PREFIX = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$")


class UploadConfig(StrictModel):
    """`storage.upload`: push finished evidence to S3-compatible object storage.

    Boxes behind NAT or a mine's firewall cannot be reached by the monitoring centre, so
    they push. Credentials come from the environment (variables named here), never the file.
    """

    enabled: bool = True
    bucket: str = Field(description="bucket name; it must exist (the box never creates it)")
    endpoint_url: str | None = Field(
        default=None, description="http(s)://host[:port] of MinIO, Ceph RGW, OSS...; absent: AWS"
    )
    region: str = Field(default="us-east-1", min_length=1)
    prefix: str = Field(default="sitewarden", description="first part of every object key")
    addressing_style: Literal["path", "virtual"] = Field(
        default="path", description="path: http://host/bucket/key (MinIO, Ceph); virtual: "
        "http://bucket.host/key"
    )
    access_key_env: str = Field(default="AWS_ACCESS_KEY_ID", min_length=1)
    secret_key_env: str = Field(default="AWS_SECRET_ACCESS_KEY", min_length=1)
    session_token_env: str | None = Field(
        default=None, description="variable holding a session token (temporary credentials)"
    )
    ca_file: str | None = Field(default=None, description="PEM CA bundle for a private CA")
    max_attempts: int = Field(
        default=10, ge=1, le=1000, description="failures of one file (not of the whole store) "
        "before it is parked; an unreachable store never parks anything"
    )
    retry_initial_s: float = Field(default=2.0, gt=0, description="first retry delay")
    retry_max_s: float = Field(default=300.0, gt=0, description="retry delay cap")
    connect_timeout_s: float = Field(default=10.0, gt=0, le=300)
    read_timeout_s: float = Field(default=60.0, gt=0, le=3600)
    multipart_threshold_bytes: int = Field(
        default=64 * 1024**2, ge=5 * 1024**2, description="larger files go up in parts"
    )
    queue_path: str | None = Field(
        default=None, description="SQLite upload queue; default <storage.directory>/upload.db; "
        "a relative path is taken from storage.directory"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key in data:
                if key in _SECRET_KEYS:
                    raise ValueError(
                        f"unknown key {key!r}: secrets are not written in the file; put the "
                        f"value in an environment variable and name it with {_SECRET_KEYS[key]}"
                    )
        return data

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if not valid_bucket(v):
            raise ValueError(
                f"{v!r} is not a valid bucket name: 3-63 characters, lower-case letters, "
                "digits, dots and hyphens, beginning and ending with a letter or digit"
            )
        return v

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        v = v.strip("/")
        if v and (not _PREFIX.match(v) or any(p in (".", "..") for p in v.split("/"))):
            raise ValueError(
                f"{v!r}: a prefix is path components of letters, digits, '_', '.', '-' "
                "separated by '/'"
            )
        return v

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v)
        # checked first: the other message quotes the value
        if "@" in parts.netloc:
            raise ValueError(
                "credentials in endpoint_url: secrets are not written in the file; name their "
                "environment variables with access_key_env / secret_key_env"
            )
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{v!r}: expected http(s)://host[:port]")
        return v.rstrip("/")

    @model_validator(mode="after")
    def _delays(self) -> UploadConfig:
        if self.retry_max_s < self.retry_initial_s:
            raise ValueError("retry_max_s must not be smaller than retry_initial_s")
        return self


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
    upload: UploadConfig | None = Field(
        default=None, description="push evidence to object storage; off when absent"
    )

    @model_validator(mode="after")
    def _sane(self) -> StorageConfig:
        ev = self.evidence
        if ev.max_clip_s < ev.pre_s:
            raise ValueError(
                f"evidence.max_clip_s ({ev.max_clip_s}) must be at least evidence.pre_s "
                f"({ev.pre_s}), or no clip could reach the start of a violation"
            )
        return self
