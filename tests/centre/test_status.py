"""Box statuses: what the box puts in them (Publisher.set_box_info, connected_at, backlog)
and how the store orders them, a Last Will included, whatever replica applies them when."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from console.store import Scope, StatusMessage, Store
from publisher import status
from publisher.client import Publisher
from tests.centre.kit import box_settings, wait_for
from tests.publisher.mosquitto import Mosquitto

SITE, BOX = "plant-7", "edge-01"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    url = (f"sqlite:///{tmp_path / 'c.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    s = Store.open(url)
    yield s
    s.close()


def _status(state: str, *, time: str | None = None, connected: str | None = None,
            **extra: Any) -> StatusMessage:
    payload = {"state": state, "site_id": SITE, "box_id": BOX, **extra}
    if time:
        payload["time"] = time
    if connected:
        payload["connected_at"] = connected
    return StatusMessage(SITE, BOX, None, payload)


def _state(store: Store) -> str:
    return store.boxes(Scope.all())[0].state


C1, C2 = "2026-03-14T09:00:00.000+08:00", "2026-03-14T09:05:00.000+08:00"


def test_a_late_will_never_ends_the_next_connection(store: Store) -> None:
    online1 = _status("online", time="2026-03-14T09:00:00.200+08:00", connected=C1)
    will1 = _status("offline", connected=C1, reason="connection_lost")
    online2 = _status("online", time="2026-03-14T09:05:00.200+08:00", connected=C2)
    # replica A: in order
    assert store.record_statuses([online1, will1]) == [True, True]
    assert _state(store) == "offline"
    assert store.record_statuses([online2]) == [True]
    # replica B had the Will queued while away and applies it now: too old
    assert store.record_statuses([will1, online1]) == [False, False]
    assert _state(store) == "online"
    stopped = _status("offline", time="2026-03-14T10:00:00+08:00", connected=C2,
                      reason="stopped")
    assert store.record_statuses([stopped, online2]) == [True, False]
    assert store.boxes(Scope.all())[0].status["reason"] == "stopped"


def test_statuses_without_connected_at_are_ordered_by_time(store: Store) -> None:
    """Boxes from before connected_at: a Will follows the status it ends."""
    on = _status("online", time="2026-03-14T09:00:00+08:00")
    assert store.record_statuses([on, _status("offline", reason="connection_lost")]) == \
        [True, True]
    assert _state(store) == "offline"
    assert store.record_statuses([_status("online", time="2026-03-14T09:00:01+08:00")]) == \
        [True]
    assert store.record_statuses([on]) == [False]
    assert store.record_statuses([StatusMessage(SITE, BOX, None, {"site_id": SITE})]) == \
        [None]  # no state: malformed, nothing written


def test_box_info_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown box info"):
        status.check_box_info({"versoin": "1"})
    with pytest.raises(ValueError, match="string"):
        status.check_box_info({"version": 1})
    assert status.check_box_info({"version": "1.4.2", "model": None}) == {"version": "1.4.2"}


def test_the_box_info_rides_in_the_status_and_the_will(broker: Mosquitto,
                                                       tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    lock = threading.Lock()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="watcher")
    watcher.on_message = lambda c, u, m: (lock.acquire(), seen.append(json.loads(m.payload)),
                                          lock.release())
    watcher.connect("127.0.0.1", broker.port)
    watcher.subscribe(f"sitewarden/{SITE}/{BOX}/status", qos=1)
    watcher.loop_start()
    pub = Publisher(box_settings(broker.port), SITE, BOX, tmp_path / "outbox.db")
    info = {"version": "1.4.2", "model": "yolox_nano", "config_version": "3f9c2a1"}
    pub.set_box_info(info)  # before start: in the first status and the first Will
    pub.start()
    try:
        wait_for(lambda: any(s["state"] == "online" for s in seen), 10)
        online = next(s for s in seen if s["state"] == "online")
        assert {k: online[k] for k in info} == info and online["outbox_backlog"] == 0
        first = online["connected_at"]
        pub._link.client.socket().close()  # type: ignore[union-attr]  # the link dies
        wait_for(lambda: any(s["state"] == "offline" for s in seen), 15, "the Will")
        will = next(s for s in seen if s["state"] == "offline")
        assert will["reason"] == "connection_lost" and "time" not in will
        assert {k: will[k] for k in info} == info and will["connected_at"] == first
        wait_for(lambda: seen[-1]["state"] == "online" and seen[-1]["connected_at"] > first,
                 15, "the next connection")
        pub.set_box_info({**info, "config_version": "77aa001"})
        wait_for(lambda: seen[-1].get("config_version") == "77aa001", 10, "info resent")
    finally:
        pub.stop()
        watcher.loop_stop()
