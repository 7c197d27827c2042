"""Evidence at the centre: short-lived presigned GET URLs of the object store.

Boxes upload their evidence (docs/evidence.md, "Upload to object storage") and announce
each file's object `key` in the violation's evidence references. The centre never proxies
the bytes: a logged-in user who may see a violation (the API and pages check the scope
before asking) gets a URL valid for `url_ttl_s`, signed with the centre's read-only keys,
that opens that one object. There is no /evidence/... route here: a guessed path is a 404.

A key is only signed when it has the layout the box writes for THIS violation
(`.../<site>/<box>/<camera>/<YYYY>/<MM>/<DD>/<violation>/<file>`): a box can only put keys
of its own site in its events, so a compromised box cannot hand its site's users a URL to
another site's evidence.

Signing is local (no request to the store) but costs about 0.2 ms in botocore, so URLs are
cached per key for half their lifetime: a list page of 50 violations stays cheap.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections import OrderedDict
from typing import Any

from console.centre.config import ObjectStoreConfig
from console.store import Violation
from console.web.evidence import file_ref
from publisher.ratelog import RateLimitedLog

log = logging.getLogger(__name__)
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_CACHE_SIZE = 20_000


def safe_component(name: str) -> str:
    """The box's path component for an id (edge/evidence/files.py, same rule)."""
    return _UNSAFE.sub("_", name).lstrip(".") or "_"


def key_belongs_to(key: str, v: Violation) -> bool:
    parts = key.split("/")
    if len(parts) < 8 or any(p in ("", ".", "..") for p in parts):
        return False
    site, box, camera, _y, _m, _d, vid = parts[-8:-1]
    ids = (v.site_id, v.box_id, v.camera_id, v.violation_id)
    if any(safe_component(x) != x for x in ids):
        # An id the box's path rule would change ("plant 9" -> "plant_9") cannot be told
        # from another site's by its key: nothing is signed for it (real ids never are).
        return False
    return (site, box, camera, vid) == ids


class ObjectStoreEvidence:
    """`EvidenceAccess` (console/web/context.py) over S3-compatible object storage."""

    def __init__(self, cfg: ObjectStoreConfig, *, clock: Any = time.monotonic) -> None:
        self.cfg = cfg
        self._clock = clock
        self._lock = threading.Lock()
        self._clients: dict[bool, Any] = {}  # public (signing) / internal (reading)
        self._credentials: tuple[str | None, ...] = ()
        self._limited = RateLimitedLog(log)
        self._cache: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self.refused = 0  # references whose key is not this violation's

    def url(self, violation: Violation, name: str) -> str | None:
        key = self._key(violation, name)
        if key is None:
            return None
        try:
            return self._presigned(key)
        except Exception as e:  # no credentials at all, a broken endpoint setting
            self._limited.log("sign", logging.ERROR, "cannot sign evidence URLs: %s", e)
            return None

    def open(self, violation: Violation, name: str) -> bytes | None:
        """The object's bytes (the false-alarm export), None when it is not there (not
        uploaded yet) or the store cannot be read; fetched through `endpoint_url`."""
        key = self._key(violation, name)
        if key is None:
            return None
        try:
            with self._lock:
                client = self._current_client(public=False)
            body = client.get_object(Bucket=self.cfg.bucket, Key=key)["Body"]
            return bytes(body.read())
        except Exception as e:  # botocore's errors: missing object, unreachable store
            self._limited.log(f"open:{type(e).__name__}", logging.WARNING,
                              "cannot read evidence object %s: %s", key, e)
            return None

    def _key(self, violation: Violation, name: str) -> str | None:
        ref = file_ref(violation.evidence, name)
        key = ref.get("key") if ref is not None else None
        if not isinstance(key, str) or not key:
            return None  # not uploaded (yet), or a box without storage.upload
        if not key_belongs_to(key, violation):
            self.refused += 1
            self._limited.log("refused", logging.WARNING, "violation %s references object "
                              "%r, which is not its own; no URL", violation.violation_id, key)
            return None
        return key

    def _presigned(self, key: str) -> str:
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                self._cache.move_to_end(key)
                return hit[1]
            client = self._current_client(public=True)
        url = str(client.generate_presigned_url(
            "get_object", Params={"Bucket": self.cfg.bucket, "Key": key},
            ExpiresIn=self.cfg.url_ttl_s))
        with self._lock:
            self._cache[key] = (now + self.cfg.url_ttl_s / 2, url)
            while len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return url

    def _current_client(self, *, public: bool) -> Any:
        """The signing (public) or reading client; both made again when the keys in the
        environment changed (a rotation needs no restart). Caller holds the lock."""
        c = self.cfg
        creds = tuple(os.environ.get(n) if n else None
                      for n in (c.access_key_env, c.secret_key_env, c.session_token_env))
        if creds != self._credentials:
            self._clients.clear()
            self._cache.clear()
            self._credentials = creds
        if public not in self._clients:
            endpoint = (c.public_endpoint_url or c.endpoint_url) if public else c.endpoint_url
            self._clients[public] = make_client(c, creds, endpoint)
        return self._clients[public]


def make_client(c: ObjectStoreConfig, creds: tuple[str | None, ...], endpoint: str | None) -> Any:
    """A boto3 S3 client for `endpoint` with the configured addressing and CA."""
    import boto3  # 0.2 s to import: only consoles with evidence pay it
    from botocore.config import Config

    if not creds[0] or not creds[1]:
        log.warning("evidence: $%s / $%s are not set; boto3's own credential chain is used",
                    c.access_key_env, c.secret_key_env)
    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=c.region,
        aws_access_key_id=creds[0] or None, aws_secret_access_key=creds[1] or None,
        aws_session_token=creds[2] or None, verify=c.ca_file if c.ca_file else None,
        config=Config(signature_version="s3v4", s3={"addressing_style": c.addressing_style},
                      connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}))
