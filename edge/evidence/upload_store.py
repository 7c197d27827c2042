"""One S3-compatible bucket as the uploader sees it: put one queued file, verified end to end.

Every request carries the MD5 of its bytes (Content-MD5, which AWS, MinIO, Ceph RGW and OSS all
check), and the ETag that comes back is compared with it: for a single PUT the ETag is the MD5
of the object, for a multipart upload the MD5 of the parts' MD5s with "-<parts>". The file's
sha256 (recorded when it was written) is checked before sending and stored as object metadata,
so the centre can verify what it downloads against the `evidence_ready` event.

Only the uploader thread uses an ObjectStore (a boto3 client is not shared across threads).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.config import Config

from edge.config.storage import UploadConfig
from edge.evidence.upload_errors import UPLOADED, Outcome, UploadResult, classify
from edge.evidence.upload_queue import UploadItem

log = logging.getLogger(__name__)

PART_BYTES = 8 * 1024**2  # >= the 5 MiB S3 minimum; at most 10,000 parts: 80 GiB per file
_MD5_HEX = re.compile(r"^[0-9a-f]{32}$")
_READ_BYTES = 1024**2


class MissingCredentials(Exception):
    """The environment variables named in the config are not set."""


@dataclass(frozen=True)
class Digests:
    sha256: str  # hex
    size: int
    md5: bytes  # of the whole file
    part_md5s: tuple[bytes, ...]  # of each PART_BYTES part (multipart uploads)


def file_digests(path: Path) -> Digests:
    """sha256 and MD5s of a file in one read."""
    sha, whole, part = hashlib.sha256(), hashlib.md5(), hashlib.md5()
    parts: list[bytes] = []
    size = in_part = 0
    with open(path, "rb") as f:
        while chunk := f.read(min(_READ_BYTES, PART_BYTES - in_part)):
            sha.update(chunk)
            whole.update(chunk)
            part.update(chunk)
            size += len(chunk)
            in_part += len(chunk)
            if in_part == PART_BYTES:
                parts.append(part.digest())
                part, in_part = hashlib.md5(), 0
    if in_part or not parts:
        parts.append(part.digest())
    return Digests(sha.hexdigest(), size, whole.digest(), tuple(parts))


def make_client(cfg: UploadConfig) -> Any:
    """A boto3 S3 client; credentials are read from the environment at every call."""
    import boto3  # here: 0.2 s of imports that replay and boxes without upload never need

    key, secret = os.environ.get(cfg.access_key_env), os.environ.get(cfg.secret_key_env)
    if not key or not secret:
        raise MissingCredentials(
            f"environment variables {cfg.access_key_env} and {cfg.secret_key_env} must be set"
        )
    token = os.environ.get(cfg.session_token_env) if cfg.session_token_env else None
    config = Config(
        region_name=cfg.region,
        s3={"addressing_style": cfg.addressing_style},
        connect_timeout=cfg.connect_timeout_s,
        read_timeout=cfg.read_timeout_s,
        # The queue retries with its own backoff; botocore's retries would multiply it.
        retries={"total_max_attempts": 1, "mode": "standard"},
        # botocore >= 1.36 adds CRC checksums by default, which older MinIO, Ceph and OSS
        # reject; Content-MD5 (set on every request here) is understood everywhere.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        user_agent_extra="sitewarden",
    )
    # An own session: boto3's default one is shared module state and not thread-safe.
    return boto3.session.Session().client(
        "s3", endpoint_url=cfg.endpoint_url, aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token,
        verify=cfg.ca_file if cfg.ca_file else True, config=config,
    )


class ObjectStore:
    def __init__(self, cfg: UploadConfig, site_id: str, box_id: str) -> None:
        self.cfg = cfg
        self.site_id = site_id
        self.box_id = box_id
        self._client: Any = None
        self.requests = 0  # S3 requests sent (tests and stats: no busy loop)

    def reset(self) -> None:
        """Make a new client next time: credentials may have been fixed meanwhile."""
        self._client = None

    def put(self, item: UploadItem) -> UploadResult:
        try:
            digests = file_digests(Path(item.path))
        except FileNotFoundError:
            return UploadResult(Outcome.MISSING, "missing", f"{item.path} no longer exists")
        except OSError as e:
            return UploadResult(Outcome.RETRY, "read_failed", f"cannot read {item.path}: {e}")
        if digests.sha256 != item.sha256:
            return UploadResult(Outcome.CHANGED, "changed",
                                f"{item.path} changed on disk (sha256 {digests.sha256[:12]}, "
                                f"recorded {item.sha256[:12]})")
        try:
            if self._client is None:
                self._client = make_client(self.cfg)
            if digests.size > self.cfg.multipart_threshold_bytes:
                return self._put_multipart(item, digests)
            return self._put_single(item, digests)
        except MissingCredentials as e:
            return UploadResult(Outcome.BLOCKED, "credentials_missing", str(e))
        except Exception as e:  # every failure is classified; none escapes the uploader
            return classify(e)

    def _metadata(self, item: UploadItem) -> dict[str, str]:
        # Header values must be ASCII; ids are (config identifiers, UUIDs), this is a guard.
        meta = {"sha256": item.sha256, "violation-id": item.violation_id, "site": self.site_id,
                "box": self.box_id, "camera": item.camera_id}
        return {k: v.encode("ascii", "backslashreplace").decode() for k, v in meta.items()}

    def _put_single(self, item: UploadItem, d: Digests) -> UploadResult:
        with open(item.path, "rb") as f:
            self.requests += 1
            resp = self._client.put_object(
                Bucket=self.cfg.bucket, Key=item.key, Body=f, ContentLength=d.size,
                ContentMD5=_b64(d.md5), ContentType=item.content_type,
                Metadata=self._metadata(item),
            )
        return _check_etag(resp.get("ETag", ""), d.md5.hex(), item.key)

    def _put_multipart(self, item: UploadItem, d: Digests) -> UploadResult:
        bucket, key = self.cfg.bucket, item.key
        self.requests += 1
        upload_id = self._client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=item.content_type, Metadata=self._metadata(item),
        )["UploadId"]
        try:
            parts = self._send_parts(item, d, upload_id)
            if isinstance(parts, UploadResult):
                self._abort(key, upload_id)
                return parts
            self.requests += 1
            resp = self._client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts},
            )
        except BaseException:
            self._abort(key, upload_id)
            raise
        expected = hashlib.md5(b"".join(d.part_md5s)).hexdigest() + f"-{len(parts)}"
        return _check_etag(resp.get("ETag", ""), expected, key)

    def _send_parts(
        self, item: UploadItem, d: Digests, upload_id: str
    ) -> list[dict[str, Any]] | UploadResult:
        parts: list[dict[str, Any]] = []
        with open(item.path, "rb") as f:
            for number, md5 in enumerate(d.part_md5s, start=1):
                body = f.read(PART_BYTES)
                self.requests += 1
                resp = self._client.upload_part(
                    Bucket=self.cfg.bucket, Key=item.key, UploadId=upload_id,
                    PartNumber=number, Body=body, ContentMD5=_b64(md5),
                )
                bad = _check_etag(resp.get("ETag", ""), md5.hex(), f"{item.key} part {number}")
                if bad.outcome is not Outcome.OK:
                    return bad
                parts.append({"ETag": resp["ETag"], "PartNumber": number})
        return parts

    def _abort(self, key: str, upload_id: str) -> None:
        # Best effort: a lifecycle rule (AbortIncompleteMultipartUpload) cleans up the rest.
        with contextlib.suppress(Exception):
            self.requests += 1
            self._client.abort_multipart_upload(
                Bucket=self.cfg.bucket, Key=key, UploadId=upload_id)


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode()


def _check_etag(etag: str, expected: str, what: str) -> UploadResult:
    got = etag.strip('"').lower()
    # An ETag that is not an MD5 at all (some stores with server-side encryption) cannot be
    # compared; the store has checked Content-MD5 already.
    comparable = bool(_MD5_HEX.match(got.split("-")[0]))
    if comparable and got != expected:
        log.warning("%s: store's ETag %s is not the MD5 sent (%s)", what, got, expected)
        return UploadResult(Outcome.RETRY, "checksum_mismatch",
                            f"{what}: ETag {got} does not match {expected}")
    return UPLOADED
