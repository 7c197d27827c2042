"""Console settings shared by the box's site file (`http:`) and the centre's console file.

Strict like the rest of the configuration: unknown keys are errors. Secrets never live in
the file: the legacy bearer token is read from the environment variable `token_env`.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# Object storage, for the box's `storage.upload` and the centre's `evidence`:
# keys an integrator might reach for to put a credential in the file (mapped to the key that
# names its environment variable, so the error says where the value belongs instead of
# "unknown key"; each file adds its own meaning of `password`), and S3 bucket naming rules
# (the strictest common subset of AWS, MinIO, Ceph and OSS).
OBJECT_STORE_SECRET_KEYS = {
    "access_key": "access_key_env", "access_key_id": "access_key_env",
    "aws_access_key_id": "access_key_env", "secret_key": "secret_key_env",
    "secret_access_key": "secret_key_env", "aws_secret_access_key": "secret_key_env",
    "secret": "secret_key_env", "session_token": "session_token_env",
    "token": "session_token_env",
}
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def valid_bucket(name: str) -> bool:
    return bool(BUCKET_NAME.match(name)) and ".." not in name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ReviewConfig(_Strict):
    """Closed-loop handling of alarms."""

    overdue_after_s: float = Field(
        default=900.0, gt=0,
        description="a violation nobody decided on this long after it started is overdue "
        "(marked, and emitted as sitewarden.violation.overdue)")
    overdue_check_s: float = Field(default=15.0, gt=0, le=3600,
                                   description="how often overdue violations are looked for")


class HttpConfig(_Strict):
    """The console (web pages, JSON API, event stream, evidence files) of this box or centre."""

    enabled: bool = True
    host: str = Field(default="127.0.0.1",
                      description="listen address; 0.0.0.0 to serve the site's network")
    port: int = Field(default=8080, ge=0, le=65535)
    language: Literal["en", "zh-CN"] = Field(
        default="en", description="pages' language when the browser asks for none we have")
    secure_cookies: bool = Field(
        default=False, description="set when the console is served over HTTPS (a reverse "
        "proxy): cookies are then only sent over HTTPS")
    session_ttl_s: float = Field(default=12 * 3600.0, gt=0,
                                 description="a login lasts at most this long (a shift)")
    session_idle_s: float = Field(default=2 * 3600.0, gt=0,
                                  description="a login unused this long ends")
    token_env: str = Field(
        default="SITEWARDEN_HTTP_TOKEN",
        description="environment variable holding a bearer token for machine clients "
        "(optional; it becomes an API token with role `token_role`)")
    token_role: Literal["viewer", "operator", "integrator", "admin"] = "operator"
    review: ReviewConfig = Field(default_factory=ReviewConfig)

    def env_token(self) -> str | None:
        return os.environ.get(self.token_env) or None
