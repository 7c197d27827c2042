"""A real S3 endpoint on loopback (moto's standalone server) and a site wired for uploads.

The server runs in this process (ThreadedMotoServer), so stopping it and starting it again on
the same port keeps its buckets and objects, like a MinIO restart with its disk. Its state is
global to the process: every test gets its own bucket and the fixture resets moto afterwards.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from edge.config import SiteConfig
from edge.evidence.build import recorder_for, uploader_for
from edge.evidence.files import sha256_file
from edge.evidence.recorder import EvidenceRecorder
from edge.evidence.retention import Retention
from edge.evidence.types import EvidenceReady
from edge.evidence.uploader import Uploader

from .replaykit import ZONE, all_refs, update

KEY_ENV, SECRET_ENV = "SW_TEST_S3_KEY", "SW_TEST_S3_SECRET"
# Violations scripted on the replayed video (source seconds): start, end, clear.
ONE = {8.0: [update("v1", "started", 8.0, 8.0)], 10.0: [update("v1", "ended", 10.0, 8.0, 9.0)]}
TWO = {**ONE, 30.0: [update("v2", "started", 30.0, 30.0)],
       32.0: [update("v2", "ended", 32.0, 30.0, 31.0)]}
THREE = {**TWO, 50.0: [update("v3", "started", 50.0, 50.0)],
         52.0: [update("v3", "ended", 52.0, 50.0, 51.0)]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoS3:
    def __init__(self) -> None:
        self.port = free_port()
        self._server: ThreadedMotoServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def client(self, key: str = "admin", secret: str = "admin") -> Any:
        return boto3.session.Session().client(
            "s3", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id=key, aws_secret_access_key=secret)

    def post(self, path: str, body: bytes = b"") -> None:
        req = urllib.request.Request(self.url + path, data=body, method="POST",
                                     headers={"Content-Type": "text/plain"})
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()

    def enforce_auth(self) -> None:
        """From now on requests must be signed with IAM keys that the server knows."""
        self.post("/moto-api/reset-auth", b"0")

    def objects(self, bucket: str, client: Any = None) -> dict[str, dict[str, Any]]:
        """key -> {body sha256, metadata, content type, etag} of every object in the bucket."""
        c = client or self.client()
        out = {}
        for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                got = c.get_object(Bucket=bucket, Key=obj["Key"])
                out[obj["Key"]] = {"sha256": hashlib.sha256(got["Body"].read()).hexdigest(),
                                   "metadata": got["Metadata"], "type": got["ContentType"],
                                   "etag": got["ETag"].strip('"')}
        return out


@pytest.fixture
def s3() -> Iterator[MotoS3]:
    server = MotoS3()
    server.start()
    try:
        yield server
    finally:
        if server._server is None:  # a test stopped it: its state is still in this process
            server.start()
        server.post("/moto-api/reset-auth", b"inf")
        server.post("/moto-api/reset")
        server.stop()


@pytest.fixture
def bucket(s3: MotoS3, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"evidence-{uuid.uuid4().hex[:12]}"
    s3.client().create_bucket(Bucket=name)
    monkeypatch.setenv(KEY_ENV, "box-key")
    monkeypatch.setenv(SECRET_ENV, "box-secret")
    return name


def site(tmp: Path, s3: MotoS3, bucket: str, storage: dict[str, Any] | None = None,
         **upload: Any) -> SiteConfig:
    """A site whose camera cam-1 has replaykit's zone, uploading to the moto server."""
    up = {"bucket": bucket, "endpoint_url": s3.url, "access_key_env": KEY_ENV,
          "secret_key_env": SECRET_ENV, "retry_initial_s": 0.05, "retry_max_s": 0.4,
          "connect_timeout_s": 2, "read_timeout_s": 10, **upload}
    return SiteConfig.model_validate({
        "site_id": "plant-7", "box_id": "edge-01",
        "detector": {"model": "/nonexistent/model.onnx"},
        "cameras": [{"id": "cam-1", "url": "/nonexistent/video.mp4"}],
        "zones": [{"id": ZONE.zone_id, "camera": "cam-1", "kind": "danger_zone",
                   "points": [list(p) for p in ZONE.points_norm]}],
        "storage": {"directory": str(tmp), "min_free_bytes": 0, "upload": up,
                    **(storage or {})},
    })


@dataclass
class Statuses:
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, state: str, detail: dict[str, Any]) -> None:
        with self._lock:
            self.seen.append((state, detail))

    def of(self, component: str) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return [(s, d) for s, d in self.seen if d.get("component") == component]

    def last(self, component: str) -> tuple[str, dict[str, Any]] | None:
        got = self.of(component)
        return got[-1] if got else None


@dataclass
class Box:
    """What the runtime builds for one camera: retention, uploader (guard added), recorder."""

    cfg: SiteConfig
    uploader: Uploader
    retention: Retention
    recorder: EvidenceRecorder
    statuses: Statuses
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.uploader.run, name="evidence-upload",
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.uploader.stop()
        if self.thread is not None:
            self.thread.join(10)
            assert not self.thread.is_alive(), "the uploader thread did not stop"
        self.uploader.close()


def box(cfg: SiteConfig, statuses: Statuses | None = None) -> Box:
    statuses = statuses or Statuses()
    retention = Retention(cfg.storage, on_status=statuses)
    uploader = uploader_for(cfg, retention, statuses)
    assert uploader is not None
    rec = recorder_for(cfg, "cam-1", uploader=uploader, retention=retention, on_status=statuses)
    return Box(cfg, uploader, retention, rec, statuses)


def wait_for(cond: Callable[[], bool], timeout_s: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        time.sleep(0.02)


def expected_objects(ready: list[EvidenceReady]) -> dict[str, tuple[str, str]]:
    """key -> (sha256, violation id) of every file the violations should have uploaded."""
    out = {}
    for r in ready:
        prefix = r.evidence["upload"]["prefix"]
        for ref in all_refs([r]):
            out[str(ref["key"])] = (str(ref["sha256"]), r.violation_id)
        meta = Path(str(r.evidence["clip"]["path"])).with_name("meta.json")
        out[prefix + "meta.json"] = (sha256_file(meta), r.violation_id)
    return out


def assert_arrived(s3: MotoS3, bucket: str, ready: list[EvidenceReady], client: Any = None,
                   expected: dict[str, tuple[str, str]] | None = None) -> None:
    """Every file is in the bucket under its key, with its sha256 and metadata."""
    objects = s3.objects(bucket, client)
    expected = expected or expected_objects(ready)
    assert set(objects) == set(expected)
    for key, (sha, vid) in expected.items():
        assert objects[key]["sha256"] == sha, key
        assert objects[key]["metadata"] == {"sha256": sha, "violation-id": vid,
                                            "site": "plant-7", "box": "edge-01",
                                            "camera": "cam-1"}
