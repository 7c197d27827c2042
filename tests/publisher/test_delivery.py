"""Delivery through a real Mosquitto: order, retained status, camera status, stats, snapshots."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.client import Publisher
from tests.publisher.conftest import (
    BOX,
    SITE,
    Collector,
    fast_settings,
    first_seen_order,
    make_event,
    wait_until,
)
from tests.publisher.mosquitto import Mosquitto

ROOT = f"sitewarden/{SITE}/{BOX}"


@pytest.mark.parametrize("protocol", ["3.1.1", "5"])
def test_events_delivered_in_order_and_acked(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
    protocol: str,
) -> None:
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    pub = Publisher(fast_settings(broker.port, protocol=protocol), SITE, BOX, tmp_path / "ob.db")
    events = [make_event(i, camera="cam-1" if i % 2 else "cam-2") for i in range(150)]
    events.append(make_event(0, phase="ended"))
    pub.start()
    try:
        numbered = [pub.publish_event(ev) for ev in events]
        assert pub.flush(20)
        want = [e.id for e in events]
        assert sub.wait_for(lambda ms: len(ms) >= len(want))
        assert first_seen_order(sub.event_ids()) == want
        got = {m.json()["id"]: m.topic for m in sub.snapshot()}
        assert got[events[1].id] == f"{ROOT}/events/cam-1/danger_zone"
        assert got[events[2].id] == f"{ROOT}/events/cam-2/danger_zone"
        # The JSON on the wire is the numbered event that publish_event returned.
        assert sub.events()[0] == numbered[0].to_wire()
        assert numbered[0] == dataclasses.replace(events[0], sequence="1")
        assert [e["sequence"] for e in sub.events()] == [str(n) for n in range(1, 152)]
        st = pub.stats()
        assert st["connected"] and st["outbox_depth"] == 0 and st["acked"] == len(events)
        assert not pub.is_pending("v-00000")
    finally:
        pub.stop()


def test_retained_box_and_camera_status_and_stats(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
) -> None:
    live = collector_factory(broker.port, f"{ROOT}/#", client_id="live")
    pub = Publisher(fast_settings(broker.port, stats_interval_s=3600), SITE, BOX,
                    tmp_path / "ob.db")
    pub.set_camera_status("cam-1", "online", {"fps": 5.0})
    pub.start()
    try:
        assert wait_until(lambda: pub.stats()["connected"])
        pub.set_camera_status("cam-2", "offline", {"error": "timeout"})
        pub.publish_stats({"frames_in": 10, "detections": 3})
        assert live.wait_for(lambda ms: any(m.topic == f"{ROOT}/stats" for m in ms))
        stats = next(m.json() for m in live.snapshot() if m.topic == f"{ROOT}/stats")
        assert stats["frames_in"] == 10 and "outbox_depth" in stats["publisher"]
        assert live.wait_for(lambda ms: any("cam-2" in m.topic for m in ms))
        # A subscriber that arrives later gets the retained state at once.
        late = collector_factory(broker.port, f"{ROOT}/+/+/status", client_id="late")
        box = collector_factory(broker.port, f"{ROOT}/status", client_id="late-box")
        assert late.wait_for(lambda ms: len(ms) >= 2)
        assert box.wait_for(lambda ms: len(ms) >= 1)
        cams = {m.json()["camera_id"]: m for m in late.snapshot()}
        assert cams["cam-1"].retain and cams["cam-1"].json()["state"] == "online"
        assert cams["cam-1"].json()["detail"] == {"fps": 5.0}
        assert cams["cam-2"].json()["state"] == "offline"
        assert box.snapshot()[0].retain and box.snapshot()[0].json()["state"] == "online"
    finally:
        pub.stop()
    assert live.wait_for(lambda ms: ms[-1].topic == f"{ROOT}/status"
                         and ms[-1].json()["state"] == "offline")
    assert live.snapshot()[-1].json()["reason"] == "stopped"


def test_snapshots_sent_when_enabled_and_capped(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
) -> None:
    sub = collector_factory(broker.port, f"{ROOT}/snapshots/#")
    settings = fast_settings(broker.port, snapshots={"enabled": True, "max_bytes": 1000})
    pub = Publisher(settings, SITE, BOX, tmp_path / "ob.db")
    jpeg = b"\xff\xd8" + bytes(range(256)) * 3 + b"\xff\xd9"
    pub.publish_snapshot("cam-1", "v-1", jpeg)
    pub.publish_snapshot("cam-1", "v-2", b"\xff\xd8" + b"x" * 2000)  # over the cap
    assert pub.is_pending("v-1")  # not yet sent: evidence retention must keep the files
    with pytest.raises(ValueError, match="not a JPEG"):
        pub.publish_snapshot("cam-1", "v-3", b"GIF89a")
    pub.start()
    try:
        assert pub.flush(10)
        assert sub.wait_for(lambda ms: len(ms) >= 1)
        (msg,) = sub.snapshot()
        assert msg.topic == f"{ROOT}/snapshots/cam-1/v-1" and msg.payload == jpeg
        assert pub.stats()["snapshots_dropped"] == 1 and not pub.is_pending("v-1")
    finally:
        pub.stop()


def test_disabled_snapshots_and_bad_events(broker: Mosquitto, tmp_path: Path) -> None:
    pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
    pub.publish_snapshot("cam-1", "v-1", b"\xff\xd8jpeg")
    assert pub.stats()["outbox_depth"] == 0
    with pytest.raises(ValueError, match="id"):
        pub.publish_event(dataclasses.replace(make_event(1), id=""))
    bad = make_event(1)
    bad = dataclasses.replace(bad, data=bad.data.model_copy(update={"camera_id": "a/b"}))
    with pytest.raises(ValueError, match="camera id"):
        pub.publish_event(bad)
    assert pub.stats()["outbox_depth"] == 0
    pub.stop()


def test_payload_is_compact_json(broker: Mosquitto, tmp_path: Path,
                                 collector_factory: Callable[..., Collector]) -> None:
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
    pub.start()
    try:
        ev = pub.publish_event(make_event(7))
        assert sub.wait_for(lambda ms: len(ms) == 1)
        payload = sub.snapshot()[0].payload
        assert payload == json.dumps(ev.to_wire(), separators=(",", ":")).encode()
        assert b'"sequence":"1"' in payload
    finally:
        pub.stop()


def test_outbox_alarm_in_retained_status_while_backlog_is_high(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
) -> None:
    settings = fast_settings(broker.port, outbox={"max_bytes": 20_000, "high_water_frac": 0.5})
    pub = Publisher(settings, SITE, BOX, tmp_path / "ob.db")
    for i in range(25):  # ~670 bytes each: above the 10 kB high water, within the budget
        pub.publish_event(make_event(i))
    assert pub.stats()["alarms"] == ["outbox_high_water"]
    for i in range(25, 40):  # over the budget with only `started` events: kept, alarm
        pub.publish_event(make_event(i))
    st = pub.stats()
    assert st["alarms"] == ["outbox_full", "outbox_high_water"] and st["outbox_depth"] == 40
    status = collector_factory(broker.port, f"{ROOT}/status")
    pub.start()
    try:
        assert pub.flush(15)
        assert status.wait_for(lambda ms: len(ms) >= 2 and ms[-1].json()["alarms"] == [])
        states = [m.json() for m in status.snapshot()]
        assert states[0]["alarms"] == ["outbox_full", "outbox_high_water"]  # told on connect
        assert states[-1]["alarms"] == []  # cleared once the backlog drained
        assert pub.stats()["alarms"] == []
    finally:
        pub.stop()
