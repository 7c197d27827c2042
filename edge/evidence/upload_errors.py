"""What an upload failure means for the queue: wait for the store, fix the config, retry the
file, or give the file up.

The distinction matters because a box retries for as long as it runs: an outage of the store
must never make a file give up, and a file the store will never take must not be retried
forever.
"""

from __future__ import annotations

import enum
import ssl
from dataclasses import dataclass

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)


class Outcome(enum.Enum):
    OK = "ok"
    MISSING = "missing"  # the local file is gone: drop it with a warning
    CHANGED = "changed"  # the local file no longer has the recorded sha256: park it
    STORE_DOWN = "store_down"  # unreachable, 5xx, throttled: back off, the whole queue waits
    BLOCKED = "blocked"  # credentials, bucket, clock, TLS: say so, retry slowly, whole queue
    RETRY = "retry"  # this file failed for a reason that may pass: retry it, then park it
    PARK = "park"  # the store will never take this file as it is


@dataclass(frozen=True)
class UploadResult:
    outcome: Outcome
    reason: str  # short, stable: the status detail's `reason`
    error: str  # for people: logs and the status detail (never credentials)

    @property
    def store_wide(self) -> bool:
        """The store (or the box's access to it) failed, not this one file."""
        return self.outcome in (Outcome.STORE_DOWN, Outcome.BLOCKED)


UPLOADED = UploadResult(Outcome.OK, "", "")


# S3 error codes (AWS, MinIO, Ceph RGW and OSS use the same ones) by what they mean here.
_BLOCKED = {
    "InvalidAccessKeyId": "auth_failed", "SignatureDoesNotMatch": "auth_failed",
    "AccessDenied": "auth_failed", "ExpiredToken": "auth_failed", "InvalidToken": "auth_failed",
    "TokenRefreshRequired": "auth_failed", "InvalidSecurity": "auth_failed",
    "AccountProblem": "auth_failed", "AllAccessDisabled": "auth_failed",
    "AuthorizationHeaderMalformed": "wrong_region", "PermanentRedirect": "wrong_region",
    "IllegalLocationConstraintException": "wrong_region",
    "NoSuchBucket": "bucket_missing",
    # A box without NTP drifts; the store refuses signatures more than 15 minutes off.
    "RequestTimeTooSkewed": "clock_skew",
}
_PERMANENT = {
    "EntityTooLarge", "EntityTooSmall", "KeyTooLongError", "MetadataTooLarge",
    "InvalidObjectName", "InvalidStorageClass", "MissingContentLength", "InvalidArgument",
    "InvalidRequest", "MethodNotAllowed", "NotImplemented", "UnexpectedContent",
}
_TRANSIENT_CODES = {
    "RequestTimeout", "SlowDown", "Throttling", "ThrottlingException", "ServiceUnavailable",
    "InternalError", "OperationAborted",
}


def classify(exc: Exception) -> UploadResult:
    """Map an exception from botocore (or the network under it) to what the queue does."""
    if isinstance(exc, ClientError):
        return _client_error(exc)
    if isinstance(exc, SSLError | ssl.SSLError):
        return UploadResult(Outcome.BLOCKED, "tls_failed", f"TLS: {exc}")
    if isinstance(exc, NoCredentialsError):
        return UploadResult(Outcome.BLOCKED, "credentials_missing", str(exc))
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError |
                  ConnectionClosedError | ConnectionError | TimeoutError):
        return UploadResult(Outcome.STORE_DOWN, "store_unreachable", str(exc))
    if isinstance(exc, BotoCoreError | OSError):
        return UploadResult(Outcome.STORE_DOWN, "store_unreachable", f"{type(exc).__name__}: {exc}")
    return UploadResult(Outcome.RETRY, "upload_failed", f"{type(exc).__name__}: {exc}")


def _client_error(exc: ClientError) -> UploadResult:
    err = exc.response.get("Error", {})
    code = str(err.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    text = f"{code or status}: {err.get('Message', '') or exc}"
    if code in _BLOCKED:
        return UploadResult(Outcome.BLOCKED, _BLOCKED[code], text)
    if code in _TRANSIENT_CODES or status >= 500 or status in (408, 429):
        return UploadResult(Outcome.STORE_DOWN, "store_unreachable", text)
    if status in (401, 403):  # a store that names its auth errors differently
        return UploadResult(Outcome.BLOCKED, "auth_failed", text)
    if code in _PERMANENT or status in (405, 411, 413, 414):
        return UploadResult(Outcome.PARK, "rejected", text)
    return UploadResult(Outcome.RETRY, "upload_failed", text)
