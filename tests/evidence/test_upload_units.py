"""The pure parts of uploading: object keys, what an S3 error means, the queue's bookkeeping."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from edge.evidence.upload_errors import Outcome, classify
from edge.evidence.upload_keys import content_type, object_key, violation_prefix
from edge.evidence.upload_queue import PARKED, UploadItem, UploadQueue

VDIR = Path("/var/lib/sw/evidence/plant-7/gate-north/2026-03-14/0b9e-41")


def test_keys_list_by_site_box_camera_and_day() -> None:
    assert violation_prefix("sitewarden", "edge-01", VDIR) == (
        "sitewarden/plant-7/edge-01/gate-north/2026/03/14/0b9e-41/")
    assert object_key("a/b", "edge 01", VDIR / "clip.mp4") == (
        "a/b/plant-7/edge_01/gate-north/2026/03/14/0b9e-41/clip.mp4")
    assert object_key("", "edge-01", VDIR / "meta.json").startswith("plant-7/edge-01/")
    assert content_type(VDIR / "snapshot.jpg") == "image/jpeg"
    assert content_type(VDIR / "clip.mp4") == "video/mp4"


def _client_error(code: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "m"},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")


@pytest.mark.parametrize(("exc", "outcome", "reason"), [
    (_client_error("InvalidAccessKeyId", 403), Outcome.BLOCKED, "auth_failed"),
    (_client_error("SignatureDoesNotMatch", 403), Outcome.BLOCKED, "auth_failed"),
    (_client_error("AccessDenied", 403), Outcome.BLOCKED, "auth_failed"),
    (_client_error("NoSuchBucket", 404), Outcome.BLOCKED, "bucket_missing"),
    (_client_error("RequestTimeTooSkewed", 403), Outcome.BLOCKED, "clock_skew"),
    (_client_error("AuthorizationHeaderMalformed", 400), Outcome.BLOCKED, "wrong_region"),
    (_client_error("SlowDown", 503), Outcome.STORE_DOWN, "store_unreachable"),
    (_client_error("InternalError", 500), Outcome.STORE_DOWN, "store_unreachable"),
    (_client_error("RequestTimeout", 400), Outcome.STORE_DOWN, "store_unreachable"),
    (_client_error("", 502), Outcome.STORE_DOWN, "store_unreachable"),
    (_client_error("EntityTooLarge", 400), Outcome.PARK, "rejected"),
    (_client_error("KeyTooLongError", 400), Outcome.PARK, "rejected"),
    (_client_error("", 413), Outcome.PARK, "rejected"),
    (_client_error("BadDigest", 400), Outcome.RETRY, "upload_failed"),
    (_client_error("", 401), Outcome.BLOCKED, "auth_failed"),
    (EndpointConnectionError(endpoint_url="http://x"), Outcome.STORE_DOWN, "store_unreachable"),
    (ReadTimeoutError(endpoint_url="http://x"), Outcome.STORE_DOWN, "store_unreachable"),
    (ConnectionResetError(), Outcome.STORE_DOWN, "store_unreachable"),
])
def test_errors_are_classified(exc: Exception, outcome: Outcome, reason: str) -> None:
    got = classify(exc)
    assert (got.outcome, got.reason) == (outcome, reason)
    assert got.store_wide == (outcome in (Outcome.BLOCKED, Outcome.STORE_DOWN))


def _item(key: str, unit: str = "v1") -> UploadItem:
    return UploadItem(key=key, seq=0, path=f"/x/{key}", unit=unit, violation_id=unit,
                      camera_id="cam-1", sha256="0" * 64, size=10, content_type="image/jpeg")


def test_queue_survives_a_reopen_and_keeps_order(tmp_path: Path) -> None:
    clock = [1000.0]
    q = UploadQueue(tmp_path / "q.db", clock=lambda: clock[0])
    q.add([_item("a"), _item("b"), _item("c", unit="v2")])
    assert [i.key for i in q.due(1000.0, 10)] == ["a", "b", "c"]
    first = q.due(1000.0, 1)[0]
    q.put(replace(first, next_try_s=1005.0, attempts=1))
    assert [i.key for i in q.due(1000.0, 10)] == ["b", "c"]
    assert q.next_due_s() == 1000.0
    q.close()
    q = UploadQueue(tmp_path / "q.db", clock=lambda: clock[0])
    assert [i.key for i in q.due(1010.0, 10)] == ["b", "c", "a"]
    assert q.is_pending("v1") and q.is_pending("v2")
    for item in q.due(1010.0, 10):
        if item.unit == "v1":
            q.remove(item)
    assert not q.is_pending("v1") and q.is_pending("v2")
    assert q.counts() == {"pending": 1, "parked": 0, "unpersisted": 0}


def test_requeued_file_replaces_its_entry_and_parked_is_not_pending(tmp_path: Path) -> None:
    q = UploadQueue(tmp_path / "q.db")
    q.add([_item("a")])
    q.add([_item("a")])  # the same key again (a finalizer retried): one entry
    assert q.counts()["pending"] == 1
    item = q.due(float("inf"), 10)[0]
    q.put(replace(item, state=PARKED, last_error="EntityTooLarge"))
    assert not q.is_pending("v1") and q.counts() == {"pending": 0, "parked": 1,
                                                      "unpersisted": 0}
    assert q.due(float("inf"), 10) == []
    q.close()
    rows = sqlite3.connect(tmp_path / "q.db").execute("SELECT key, state FROM uploads").fetchall()
    assert rows == [("a", PARKED)]
