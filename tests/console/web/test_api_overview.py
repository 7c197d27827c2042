"""Counts, cameras, boxes and statistics through the API (TestClient)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.store import Store
from tests.console.helpers import BOX, CAMERA, SITE, T0, Clock, camera, lifecycle
from tests.console.web.apikit import OTHER_SITE, Api, running_api


class FakeLive:
    def health(self) -> dict[str, Any]:
        return {"status": "ok"}

    def camera_stats(self) -> list[dict[str, Any]]:
        return [{"camera_id": CAMERA, "state": "tampered", "fps_in": 25.0,
                 "last_frame_age_s": 0.04, "tamper": ["covered"]},
                {"camera_id": "dock", "state": "online", "fps_in": 12.5}]


def _labelled(events: list[dict[str, Any]], label: str) -> list[dict[str, Any]]:
    for e in events:
        e["data"]["zone_label"] = label
    return events


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store.open(f"sqlite:///{tmp_path / 'console.db'}", clock=Clock(T0 + 3 * 86400))
    store.ingest_many([
        *_labelled(lifecycle("v1", T0, [1]), "1号冲压机 危险区域"),
        *_labelled(lifecycle("v2", T0 + 60, [1]), "1号冲压机 危险区域"),
        *lifecycle("v3", T0 + 86400, [2], zone="control-desk", kind="duty_post"),
        *lifecycle("v4", T0 + 120, [1], camera="yard"),
        *lifecycle("v5", T0 + 180, [1], site=OTHER_SITE),
        camera("offline", T0 + 5), camera("online", T0 + 10, camera_id="yard"),
    ])
    store.record_box_status(SITE, BOX, {"state": "online", "software_version": "0.1.0"})
    with running_api(store, tmp_path, live=FakeLive(), site_id=SITE, box_id=BOX) as a:
        yield a
    store.close()


def test_counts(api: Api) -> None:
    api.ok(api.post("/api/violations/v2/decision", json={"decision": "confirmed"}))
    api.store.mark_overdue(T0 + 1000, after_s=900)  # v1 (v2 is decided)
    c = api.ok(api.get("/api/counts", who="viewer"))
    assert (c["total"], c["overdue"]) == (4, 1)
    assert {(x["camera_id"], x["count"]) for x in c["by_camera"] if x["site_id"] == SITE} == {
        (CAMERA, 2), ("yard", 1)}
    assert {(x["zone_id"], x["count"]) for x in c["by_zone"] if x["camera_id"] == CAMERA
            and x["site_id"] == SITE} == {("press-area", 1), ("control-desk", 1)}
    assert c["by_kind"] == [{"kind": "danger_zone", "count": 3},
                            {"kind": "duty_post", "count": 1}]
    assert len(c["groups"]) == 4
    scoped = api.ok(api.get("/api/counts", who="scoped"))
    assert scoped["total"] == 3 and {g["site_id"] for g in scoped["groups"]} == {SITE}


def test_cameras_merge_the_box_live_stats(api: Api) -> None:
    cams = {c["camera_id"]: c for c in api.ok(api.get("/api/cameras", who="viewer"))
            if c["site_id"] == SITE}
    assert set(cams) == {CAMERA, "yard", "dock"}
    gate = cams[CAMERA]
    assert gate["state"] == "tampered" and gate["live"]["tamper"] == ["covered"]
    assert gate["live"]["fps_in"] == 25.0 and gate["since"] is not None
    assert cams["yard"]["state"] == "online" and cams["yard"]["live"] is None
    assert cams["dock"]["live"]["fps_in"] == 12.5 and cams["dock"]["box_id"] == BOX
    other = [c for c in api.ok(api.get("/api/cameras")) if c["site_id"] == OTHER_SITE]
    assert [(c["camera_id"], c["live"]) for c in other] == [(CAMERA, None)]  # not this box's
    scoped = api.ok(api.get("/api/cameras", who="scoped"))
    assert {c["site_id"] for c in scoped} == {SITE}


def test_boxes(api: Api) -> None:
    boxes = {(b["site_id"], b["box_id"]): b for b in api.ok(api.get("/api/boxes"))}
    mine = boxes[(SITE, BOX)]
    assert (mine["state"], mine["software_version"], mine["missing"]) == ("online", "0.1.0", 0)
    assert [b["site_id"] for b in api.ok(api.get("/api/boxes", who="scoped"))] == [SITE]


def test_stats_in_the_site_time_zone(api: Api) -> None:
    api.ok(api.post("/api/violations/v1/decision",
                    json={"decision": "false_alarm", "reason": "not_a_person"}))
    api.ok(api.post("/api/violations/v2/decision", json={"decision": "confirmed"}))
    period = {"since": str(T0 - 86400), "until": str(T0 + 2 * 86400)}
    s = api.ok(api.get("/api/stats", params=period))
    assert s["timezone"] == "Asia/Shanghai" and s["since"].endswith("+08:00")
    days = {(d["day"], d["zone_id"], d["camera_id"], d["site_id"]): d["count"]
            for d in s["per_day"]}
    assert days[("2026-03-14", "press-area", CAMERA, SITE)] == 2
    assert days[("2026-03-15", "control-desk", CAMERA, SITE)] == 1
    [zone] = [z for z in s["false_alarms_by_zone"] if z["zone_id"] == "press-area"
              and z["camera_id"] == CAMERA and z["site_id"] == SITE]
    assert (zone["decided"], zone["false_alarms"], zone["rate"]) == (2, 1, 0.5)
    assert api.ok(api.get("/api/stats", who="scoped"))["per_day"]  # default: last 30 days
    assert api.get("/api/stats", params={"since": str(T0), "until": str(T0 - 1)}
                   ).status_code == 422
    assert api.get("/api/stats", params={"since": "0", "until": str(T0)}).status_code == 422


def test_stats_csv_opens_in_excel_with_chinese_labels(api: Api) -> None:
    r = api.get("/api/stats.csv", who="viewer",
                params={"since": "2026-03-14T00:00:00+08:00", "until": "2026-03-16"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == \
        'attachment; filename="sitewarden-per_day-2026-03-14.csv"'
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert list(rows[0]) == ["day", "site_id", "box_id", "camera_id", "zone_id", "zone_label",
                             "kind", "count"]
    [press] = [x for x in rows if x["zone_id"] == "press-area" and x["site_id"] == SITE
               and x["camera_id"] == CAMERA]
    assert (press["zone_label"], press["day"], press["count"]) == (
        "1号冲压机 危险区域", "2026-03-14", "2")
    fa = api.get("/api/stats.csv?table=false_alarms_by_camera", who="viewer")
    header = fa.content.decode("utf-8-sig").splitlines()[0]
    assert header == "site_id,box_id,camera_id,decided,false_alarms,rate"
    assert api.get("/api/stats.csv?table=nope").status_code == 422
