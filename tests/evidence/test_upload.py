"""Evidence pushed to object storage, through the real thing: a recorder replaying a real video,
the finalizer queueing complete violations, the uploader thread, boto3, and moto's S3 server on
loopback (stopped and started again for outages)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

import boto3
import jsonschema
import pytest

from edge.evidence.files import sha256_file
from edge.evidence.types import EvidenceFile
from edge.evidence.uploader import Uploader

from .replaykit import all_refs, replay
from .s3kit import (
    KEY_ENV,
    ONE,
    SECRET_ENV,
    THREE,
    TWO,
    MotoS3,
    Statuses,
    assert_arrived,
    box,
    bucket,
    expected_objects,
    s3,
    site,
    wait_for,
)

__all__ = ["bucket", "s3"]  # fixtures
pytestmark = pytest.mark.assets

DAY = "2026/03/14"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "event.schema.json")
                    .read_text(encoding="utf-8"))


def _degraded(statuses: Statuses, reason: str) -> bool:
    last = statuses.last("evidence_upload")
    return last is not None and last[0] == "degraded" and last[1]["reason"] == reason


def test_replayed_violations_arrive_under_their_keys_with_their_sha256(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str
) -> None:
    b = box(site(tmp_path, s3, bucket))
    b.start()
    try:
        ready = replay(vtest, b.recorder, TWO, until_s=45.0).ready
        assert b.uploader.wait_idle(20)
    finally:
        b.stop()
    assert [r.violation_id for r in ready] == ["v1", "v2"]
    for r in ready:
        prefix = f"sitewarden/plant-7/edge-01/cam-1/{DAY}/{r.violation_id}/"
        assert r.evidence["upload"] == {"bucket": bucket, "region": "us-east-1",
                                        "endpoint": s3.url, "prefix": prefix}
        refs = all_refs([r])
        assert {Path(str(f["path"])).name for f in refs} >= {
            "snapshot.jpg", "snapshot_raw.jpg", "clip.mp4"}
        for ref in refs:
            assert ref["key"] == prefix + Path(str(ref["path"])).name
        # the event's evidence stays valid against the published schema
        jsonschema.validate(r.evidence, {"$defs": SCHEMA["$defs"], "$ref": "#/$defs/EvidenceRef"})
        # meta.json (what /api/violations lists) carries the keys too
        meta = json.loads(Path(str(r.evidence["clip"]["path"])).with_name("meta.json")
                          .read_text())
        assert meta["evidence"]["clip"]["key"] == prefix + "clip.mp4"
    assert_arrived(s3, bucket, ready)
    objects = s3.objects(bucket)
    types = {k.rsplit(".", 1)[1]: o["type"] for k, o in objects.items()}
    assert types == {"jpg": "image/jpeg", "mp4": "video/mp4", "json": "application/json"}
    for key, obj in objects.items():  # single PUTs: the ETag is the MD5 that was sent
        assert "-" not in obj["etag"], key
    assert b.statuses.of("evidence_upload") == []  # never degraded
    stats = b.uploader.stats()
    assert stats["uploaded"] == len(objects) and stats["pending"] == 0
    assert stats["requests"] == len(objects)  # one PUT per file, nothing repeated


def test_store_outage_backs_off_without_hammering_then_everything_arrives(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str
) -> None:
    b = box(site(tmp_path, s3, bucket, retry_initial_s=0.05, retry_max_s=0.4))
    b.start()
    try:
        s3.stop()
        ready = replay(vtest, b.recorder, TWO, until_s=45.0).ready
        queued = b.uploader.stats()["pending"]
        assert queued == len(expected_objects(ready))
        wait_for(lambda: _degraded(b.statuses, "store_unreachable"), what="degraded status")
        requests0 = b.uploader.store.requests
        attempts0 = sum(i.attempts for i in b.uploader.queue.items())
        time.sleep(2.0)
        probes = b.uploader.store.requests - requests0
        attempts = sum(i.attempts for i in b.uploader.queue.items())
        # Delays 0.05, 0.1, 0.2, then 0.4 s (cap), jittered down by up to half: about 6-10
        # probes in 2 s, one file each; a busy loop would make thousands.
        assert 3 <= probes <= 25, probes
        assert attempts - attempts0 == probes, "every probe is counted on its file"
        assert b.uploader.stats()["pending"] == queued, "nothing lost, nothing parked"
        assert b.uploader.is_pending("v1") and b.uploader.is_pending("v2")
        s3.start()
        assert b.uploader.wait_idle(15)
    finally:
        b.stop()
    assert_arrived(s3, bucket, ready)
    states = [s for s, _ in b.statuses.of("evidence_upload")]
    assert states == ["degraded", "ok"]
    assert not b.uploader.is_pending("v1")


def test_box_restarted_with_a_backlog_uploads_the_rest(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str
) -> None:
    cfg = site(tmp_path, s3, bucket)
    s3.stop()
    first = box(cfg)
    first.start()
    ready = replay(vtest, first.recorder, TWO, until_s=45.0).ready
    wait_for(lambda: first.uploader.stats()["failed_attempts"] >= 2, what="failed attempts")
    backlog = first.uploader.stats()["pending"]
    first.stop()  # the box goes down with everything still queued
    assert backlog == len(expected_objects(ready))

    s3.start()
    second = box(cfg)  # a new process: a new Uploader on the same queue database
    assert second.uploader.stats()["pending"] == backlog
    assert second.uploader.is_pending("v1") and second.uploader.is_pending("v2")
    second.start()
    try:
        assert second.uploader.wait_idle(15)
    finally:
        second.stop()
    assert_arrived(s3, bucket, ready)
    assert second.uploader.stats()["uploaded"] == backlog


def test_retention_keeps_violations_until_uploaded_then_deletes_oldest(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str
) -> None:
    cfg = site(tmp_path, s3, bucket, storage={"max_bytes": 1_200_000})
    s3.stop()
    b = box(cfg)  # not started yet: nothing can be uploaded
    ready = replay(vtest, b.recorder, THREE, until_s=70.0).ready
    assert [r.violation_id for r in ready] == ["v1", "v2", "v3"]
    day = tmp_path / "evidence" / "plant-7" / "cam-1" / "2026-03-14"
    result = b.retention.sweep()
    # 1.2-1.8 MB of evidence for a 1.2 MB budget, none of it in the store: all kept (the
    # recorders' own sweeps after each violation kept them too)
    assert sorted(p.name for p in day.iterdir()) == ["v1", "v2", "v3"]
    expected = expected_objects(ready)
    assert result.over_budget and result.deleted == 0 and result.kept_pending == 3
    last = b.statuses.last("evidence_retention")
    assert last is not None and last[1]["reason"] == "evidence_budget_exceeded"

    s3.start()
    b.start()
    try:
        assert b.uploader.wait_idle(20)
    finally:
        b.stop()
    result = b.retention.sweep()
    assert sorted(p.name for p in day.iterdir()) == ["v2", "v3"], "oldest uploaded went first"
    assert result.deleted == 1 and not result.over_budget
    assert_arrived(s3, bucket, ready, expected=expected)  # what went here is in the store


def test_wrong_credentials_give_a_clear_status_and_a_slow_retry(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    iam = boto3.session.Session().client("iam", endpoint_url=s3.url, region_name="us-east-1",
                                         aws_access_key_id="admin",
                                         aws_secret_access_key="admin")
    iam.create_user(UserName="edge-01")
    iam.put_user_policy(UserName="edge-01", PolicyName="evidence", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="edge-01")["AccessKey"]
    s3.enforce_auth()
    monkeypatch.setenv(KEY_ENV, "AKIAUNKNOWNKEY000000")
    monkeypatch.setenv(SECRET_ENV, "not-the-secret")
    b = box(site(tmp_path, s3, bucket, retry_max_s=0.5))
    b.start()
    try:
        ready = replay(vtest, b.recorder, ONE, until_s=25.0).ready
        wait_for(lambda: _degraded(b.statuses, "auth_failed"), what="auth_failed status")
        last = b.statuses.last("evidence_upload")
        assert last is not None and "InvalidAccessKeyId" in last[1]["error"]
        assert "not-the-secret" not in repr(b.statuses.seen)
        requests0 = b.uploader.store.requests
        time.sleep(1.2)
        # retried slowly: every retry_max_s (0.5 s), one file per try, the thread alive
        assert b.uploader.store.requests - requests0 <= 4
        assert b.thread is not None and b.thread.is_alive()

        monkeypatch.setenv(KEY_ENV, key["AccessKeyId"])  # the operator fixes one of the two
        wait_for(lambda: "SignatureDoesNotMatch" in str(b.uploader.last_error),
                 what="signature error")
        assert _degraded(b.statuses, "auth_failed")
        monkeypatch.setenv(SECRET_ENV, key["SecretAccessKey"])  # read again at the next try
        assert b.uploader.wait_idle(10)
    finally:
        b.stop()
    assert b.statuses.last("evidence_upload") == (
        "ok", {"component": "evidence_upload", "bucket": bucket})
    assert_arrived(s3, bucket, ready, s3.client(key["AccessKeyId"], key["SecretAccessKey"]))


def test_missing_bucket_is_reported_and_uploads_start_once_it_exists(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str
) -> None:
    absent = bucket + "-later"
    b = box(site(tmp_path, s3, absent, retry_max_s=0.3))
    b.start()
    try:
        ready = replay(vtest, b.recorder, ONE, until_s=25.0).ready
        wait_for(lambda: _degraded(b.statuses, "bucket_missing"), what="bucket_missing status")
        last = b.statuses.last("evidence_upload")
        assert last is not None and "NoSuchBucket" in last[1]["error"]
        assert last[1]["bucket"] == absent and last[1]["queued"] == len(expected_objects(ready))
        s3.client().create_bucket(Bucket=absent)
        assert b.uploader.wait_idle(10)
    finally:
        b.stop()
    assert_arrived(s3, absent, ready)
    assert [s for s, _ in b.statuses.of("evidence_upload")] == ["degraded", "ok"]


def test_file_deleted_before_upload_is_dropped_with_a_warning(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str, caplog: pytest.LogCaptureFixture
) -> None:
    b = box(site(tmp_path, s3, bucket))
    ready = replay(vtest, b.recorder, ONE, until_s=25.0).ready
    clip = Path(str(ready[0].evidence["clip"]["path"]))
    clip_key = str(ready[0].evidence["clip"]["key"])
    clip.unlink()  # an operator (or a disk check) removed it meanwhile
    expected = {k: v for k, v in expected_objects(ready).items() if k != clip_key}
    with caplog.at_level(logging.WARNING, logger="edge.evidence.uploader"):
        b.start()
        try:
            assert b.uploader.wait_idle(10)
        finally:
            b.stop()
    assert any("dropping" in r.getMessage() and clip_key in r.getMessage()
               for r in caplog.records)
    assert set(s3.objects(bucket)) == set(expected)
    stats = b.uploader.stats()
    assert stats["dropped_missing"] == 1 and stats["pending"] == 0
    assert stats["requests"] == len(expected), "no request for the missing file, no retry"


def test_file_changed_on_disk_is_parked_not_uploaded(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str
) -> None:
    b = box(site(tmp_path, s3, bucket))
    ready = replay(vtest, b.recorder, ONE, until_s=25.0).ready
    snap = Path(str(ready[0].evidence["snapshot"]["path"]))
    snap.write_bytes(b"not the snapshot that was announced")
    b.start()
    try:
        assert b.uploader.wait_idle(10)
        parked = b.uploader.queue.items("parked")
        stats = b.uploader.stats()
    finally:
        b.stop()
    snap_key = str(ready[0].evidence["snapshot"]["key"])
    assert snap_key not in s3.objects(bucket)
    assert [p.key for p in parked] == [snap_key]
    assert "changed on disk" in str(parked[0].last_error)
    assert stats["parked"] == 1 and stats["parked_total"] == 1 and stats["pending"] == 0
    # a parked file no longer holds its violation against retention: it will never upload
    assert not b.uploader.is_pending("v1")


def test_large_clip_goes_up_in_parts_and_is_verified(
    tmp_path: Path, s3: MotoS3, bucket: str
) -> None:
    cfg = site(tmp_path, s3, bucket, multipart_threshold_bytes=5 * 1024**2)
    up = Uploader.from_config(cfg)
    assert up is not None
    vdir = tmp_path / "evidence" / "plant-7" / "cam-1" / "2026-03-14" / "v9"
    vdir.mkdir(parents=True)
    clip = vdir / "clip.mp4"
    clip.write_bytes(os.urandom(9 * 1024**2 + 123))
    sha = sha256_file(clip)
    up.enqueue_violation("v9", "cam-1", vdir, [EvidenceFile(clip, sha, clip.stat().st_size)])
    up.step()
    up.close()
    key = f"sitewarden/plant-7/edge-01/cam-1/{DAY}/v9/clip.mp4"
    obj = s3.objects(bucket)[key]
    assert obj["sha256"] == sha and obj["metadata"]["sha256"] == sha
    assert obj["etag"].endswith("-2")  # 8 MiB + the rest
    assert up.stats()["uploaded"] == 1 and up.store.requests == 4  # create, 2 parts, complete
    assert hashlib.sha256(clip.read_bytes()).hexdigest() == sha
