"""The fleet board: every box's state, info, backlog and sequence gaps, every camera, the
unhandled and overdue counts per site; as JSON (/api/fleet) and as a page (/fleet)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from console.auth import create_token
from console.centre.app import create_centre_app
from console.centre.i18n import keys
from console.store import StatusMessage, Store
from tests.centre.kit import console_config
from tests.console.helpers import T0, camera, lifecycle


@pytest.fixture
def client(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store.open(url)
    events = [*lifecycle("v1", T0, [1], end=False), *lifecycle("v2", T0 + 60, [2])]
    for seq, e in zip((1, 2, 3, 7), events, strict=True):  # 4-6 never came
        e["sequence"] = str(seq)
    store.ingest_many([*events, camera("offline", T0 + 90)])
    store.record_statuses([
        StatusMessage("plant-7", "edge-01", None, {
            "state": "online", "site_id": "plant-7", "box_id": "edge-01",
            "time": "2026-03-14T09:00:00+08:00", "connected_at": "2026-03-14T09:00:00+08:00",
            "version": "1.4.2", "model": "yolox_nano", "config_version": "3f9c2a1",
            "outbox_backlog": 12, "alarms": ["outbox_high_water"]}),
        StatusMessage("plant-9", "edge-02", None, {
            "state": "offline", "site_id": "plant-9", "box_id": "edge-02",
            "reason": "connection_lost"})])
    store.mark_overdue(T0 + 100_000, 900)
    token = create_token(store, "t", "admin")
    with TestClient(create_centre_app(console_config(url, 1883), store,
                                      ingest_stats=lambda: {"received": 5})) as c:
        yield c, token
    store.close()


def _get(c: TestClient, token: str, path: str, **headers: str) -> Any:
    return c.get(path, headers={"Authorization": f"Bearer {token}", **headers})


def test_fleet_json(client: tuple[TestClient, str]) -> None:
    c, token = client
    f = _get(c, token, "/api/fleet").json()
    assert f["summary"] == {"boxes": 2, "online": 1, "offline": 1, "unknown": 0,
                            "degraded": 0, "cameras": 1, "cameras_online": 0, "unhandled": 2,
                            "overdue": 2, "missing_events": 3}
    b7, b9 = f["boxes"]
    assert (b7["software_version"], b7["model"], b7["config_version"], b7["outbox_backlog"],
            b7["alarms"], b7["last_sequence"], b7["missing_events"], b7["gaps"]) == (
        "1.4.2", "yolox_nano", "3f9c2a1", 12, ["outbox_high_water"], 7, 3,
        [{"first": 4, "last": 6}])
    assert (b9["state"], b9["reason"]) == ("offline", "connection_lost")
    assert f["cameras"][0]["state"] == "offline"
    assert [(s["site_id"], s["unhandled"], s["overdue"]) for s in f["sites"]] == [
        ("plant-7", 2, 2), ("plant-9", 0, 0)]
    assert f["ingest"] == {"received": 5}


def test_fleet_page_in_both_languages(client: tuple[TestClient, str]) -> None:
    c, token = client
    en = _get(c, token, "/fleet", accept="text/html")
    assert en.status_code == 200 and "edge-01" in en.text and "3f9c2a1" in en.text
    assert "4–6" in en.text and 'href="/fleet"' in en.text
    zh = _get(c, token, "/fleet", accept="text/html", **{"accept-language": "zh-CN"})
    assert "设备总览" in zh.text and "缺失事件" in zh.text
    assert keys("en") == keys("zh-CN")
    assert c.get("/fleet", headers={"accept": "text/html"},
                 follow_redirects=False).status_code == 303  # login first
