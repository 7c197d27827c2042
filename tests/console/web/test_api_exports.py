"""The false-alarm export: a streamed zip of raw snapshots and one JSON per violation."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.store import Scope, Store, ViolationFilter
from console.web.evidence import LocalEvidence
from console.web.exports import zip_chunks
from tests.console.helpers import SITE, T0, Clock, lifecycle
from tests.console.web.apikit import OTHER_SITE, Api, running_api

DAY = "2026-03-14"


def _with_raw(events: list[dict[str, Any]], site: str, vid: str) -> list[dict[str, Any]]:
    """The recorder's references: annotated snapshot plus its raw copy."""
    base = f"/evidence/{site}/gate-north/{DAY}/{vid}"
    for e in events:
        e["data"]["evidence"]["snapshot"] = {
            "url": f"{base}/snapshot.jpg",
            "raw": {"url": f"{base}/snapshot_raw.jpg", "width": 640, "height": 360}}
    return events


def _write(root: Path, site: str, vid: str, name: str) -> bytes:
    path = root / site / "gate-north" / DAY / vid / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = f"JPEG of {vid} {name}".encode() * 50
    path.write_bytes(data)
    return data


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store.open(f"sqlite:///{tmp_path / 'console.db'}", clock=Clock(T0 + 86400))
    store.ingest_many([
        *_with_raw(lifecycle("v1", T0, [1]), SITE, "v1"),
        *_with_raw(lifecycle("v2", T0 + 10, [2]), SITE, "v2"),
        *_with_raw(lifecycle("v3", T0 + 20, [1]), SITE, "v3"),
        *_with_raw(lifecycle("v4", T0 + 30, [1], site=OTHER_SITE), OTHER_SITE, "v4"),
        *_with_raw(lifecycle("old", T0 - 40 * 86400, [1]), SITE, "old"),
    ])
    with running_api(store, tmp_path) as a:
        yield a
    store.close()


def _zip(api: Api, who: str, **params: str) -> zipfile.ZipFile:
    r = api.get("/api/exports/false-alarms.zip", who=who, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert r.headers["content-disposition"].startswith('attachment; filename="false-alarms-')
    return zipfile.ZipFile(io.BytesIO(r.content))


def test_false_alarm_zip(api: Api) -> None:
    root = api.ctx.evidence.root if isinstance(api.ctx.evidence, LocalEvidence) else Path()
    raw1 = _write(root, SITE, "v1", "snapshot_raw.jpg")
    _write(root, SITE, "v1", "snapshot.jpg")  # the annotated one never goes in
    raw4 = _write(root, OTHER_SITE, "v4", "snapshot_raw.jpg")
    _write(root, SITE, "v2", "snapshot.jpg")  # v2's raw copy is gone: no image for it
    for vid in ("v1", "v2", "v4", "old"):
        api.ok(api.post(f"/api/violations/{vid}/decision", who="admin",
                        json={"decision": "false_alarm", "reason": "not_a_person"}))
    api.ok(api.post("/api/violations/v3/decision", json={"decision": "confirmed"}))

    zf = _zip(api, "viewer")
    assert zf.testzip() is None
    assert sorted(zf.namelist()) == ["index.json", "v1.jpg", "v1.json", "v2.json", "v4.jpg",
                                     "v4.json"]
    assert zf.read("v1.jpg") == raw1 and zf.read("v4.jpg") == raw4
    doc = json.loads(zf.read("v1.json"))
    assert (doc["decision"], doc["reason"], doc["snapshot"]) == (
        "false_alarm", "not_a_person", "v1.jpg")
    assert doc["item"]["violation_id"] == "v1"
    assert [o["box_xyxy_norm"] for o in doc["snapshot_objects"]] == [[0.1, 0.2, 0.3, 0.4]]
    assert doc["snapshot_ref"]["width"] == 640
    assert json.loads(zf.read("v2.json"))["snapshot"] is None
    index = json.loads(zf.read("index.json"))
    assert (index["violations"], index["missing_snapshots"]) == (3, 1)

    scoped = _zip(api, "scoped")
    assert sorted(scoped.namelist()) == ["index.json", "v1.jpg", "v1.json", "v2.json"]
    year = _zip(api, "viewer", since=str(T0 - 50 * 86400), until=str(T0 + 86400))
    assert "old.json" in year.namelist()


def test_export_needs_login_and_a_sane_period(api: Api) -> None:
    assert api.get("/api/exports/false-alarms.zip", who=None).status_code == 401
    r = api.get("/api/exports/false-alarms.zip", params={"since": str(T0), "until": str(T0)})
    assert r.status_code == 422
    assert _zip(api, "viewer").namelist() == ["index.json"]  # nothing decided yet


def test_the_zip_is_written_as_it_is_read(api: Api) -> None:
    for vid in ("v1", "v2", "v3"):
        api.ok(api.post(f"/api/violations/{vid}/decision",
                        json={"decision": "false_alarm", "reason": "other"}))
    f = ViolationFilter(decision="false_alarm")
    chunks = list(zip_chunks(api.ctx, Scope.all(), f, {}))
    assert len(chunks) == 4 and all(chunks)  # one per violation, then the index
    zf = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert zf.testzip() is None and len(zf.namelist()) == 4
