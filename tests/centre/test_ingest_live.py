"""The centre's ingest through a real Mosquitto into a real PostgreSQL: a box's events,
statuses and info arrive; bad messages are counted, acknowledged and never stop the ingest;
a database outage holds every acknowledgement back until the batch committed."""

from __future__ import annotations

import json
import time
from pathlib import Path

from console.store import NotFound, Scope, ViolationFilter
from publisher.client import Publisher
from publisher.events import Event
from tests.centre.kit import RawClient, box_settings, console_config, event_topic, running, wait_for
from tests.console.helpers import BOX, CAMERA, SITE, T0, camera, lifecycle
from tests.pg import PgServer
from tests.publisher.mosquitto import Mosquitto

ALL = Scope.all()


def _box(broker: Mosquitto, tmp_path: Path, box: str = BOX) -> Publisher:
    pub = Publisher(box_settings(broker.port, stats_interval_s=0.2), SITE, box,
                    tmp_path / f"{box}-outbox.db")
    pub.start()
    return pub


def test_a_boxs_events_statuses_and_info_arrive(pg_url: str, broker: Mosquitto,
                                                tmp_path: Path) -> None:
    with running(console_config(pg_url, broker.port)) as replica:
        pub = _box(broker, tmp_path)
        pub.set_box_info({"version": "1.4.2", "model": "yolox_nano", "config_version": "3f9c2a1"})
        pub.set_camera_status(CAMERA, "online", {"fps": 5.0})
        events = [*lifecycle("v1", T0, [1, 2]), camera("offline", T0 + 60)]
        for ev in events:
            pub.publish_event(Event.from_wire(ev))
        assert pub.flush(10)
        store = replica.store

        def done() -> bool:
            try:
                v = store.get_violation("v1", ALL)
            except NotFound:
                return False
            # On PostgreSQL the box's row commits in a short transaction after the batch's
            # (Store.ingest_many): the violation can be there a moment before it.
            boxes = store.boxes(ALL)
            if not boxes:
                return False
            [b] = boxes
            return v.evidence_ready and b.last_sequence == len(events) \
                and b.software_version is not None
        wait_for(done, 10, "the events and the status")
        v = store.get_violation("v1", ALL)
        assert (v.phase, v.max_count, v.evidence_ready) == ("ended", 2, True)
        # the backlog in the status is refreshed at the stats pace once the outbox drained
        wait_for(lambda: store.boxes(ALL)[0].outbox_backlog == 0, 5, "backlog 0")
        [b] = store.boxes(ALL)
        assert (b.state, b.software_version, b.model, b.config_version) == (
            "online", "1.4.2", "yolox_nano", "3f9c2a1")
        assert (b.last_sequence, b.missing) == (len(events), 0)
        [cam] = store.cameras(ALL)
        assert cam.camera_id == CAMERA  # the camera event (offline) is newer than the status
        pub.stop()  # a clean stop: retained `offline`, reason stopped
        wait_for(lambda: store.boxes(ALL)[0].state == "offline", 10, "offline")
        assert store.boxes(ALL)[0].status["reason"] == "stopped"
        stats = replica.stats()
        assert stats["applied"] == len(events) and stats["rejected_total"] == 0
        wait_for(lambda: replica.stats()["mqtt"]["acked"] == replica.stats()["received"], 5)


def test_bad_messages_are_counted_acknowledged_and_never_stop_the_ingest(
    pg_url: str, broker: Mosquitto
) -> None:
    cfg = console_config(pg_url, broker.port, ingest={"max_payload_bytes": 4096})
    good = lifecycle("v1", T0, [1], end=False)[0]
    topic = event_topic(good)
    other_site = {**good, "data": {**good["data"], "site_id": "plant-9"}}
    impostor = {**good, "id": "x-1", "source": "/sitewarden/plant-9/edge-01"}
    unknown = {**good, "id": "u-1", "type": "sitewarden.weather.rain", "sequence": "7"}
    foreign = {**good, "id": "f-1", "type": "com.example.other"}
    refused = {**good, "id": "r-1", "data": {**good["data"], "violation_id": "v" * 300}}
    bad: list[tuple[str, bytes | dict[str, object], str]] = [
        (topic, b"{" + b"x" * 5000, "oversized"),
        (topic, b"{not json", "malformed_json"),
        (topic, b"[1, 2]", "malformed_json"),
        (topic, other_site, "topic_mismatch"),
        (topic, impostor, "topic_mismatch"),
        (f"sitewarden/{SITE}/{BOX}/events/{CAMERA}", good, "bad_topic"),
        (topic, unknown, "unknown_type"),
        (topic, foreign, "unknown_type"),
        (topic, {**good, "id": "i-1", "time": "yesterday"}, "invalid"),
        (topic, refused, "store_error"),  # VARCHAR(200) on PostgreSQL
    ]
    with running(cfg) as replica:
        raw = RawClient(broker.port)
        for t, payload, _ in bad:
            raw.publish(t, payload)
        raw.publish(topic, good)
        raw.close()
        wait_for(lambda: replica.stats()["applied"] == 1, 10, "the good event")
        stats = replica.stats()
        expected: dict[str, int] = {}
        for _, _, reason in bad:
            expected[reason] = expected.get(reason, 0) + 1
        assert stats["rejected"] == expected
        wait_for(lambda: replica.stats()["mqtt"]["acked"] == len(bad) + 1, 5, "every ack")
        # the unknown type's sequence number still counts as received
        assert replica.store.boxes(ALL)[0].last_sequence == 7
    # acknowledged means never sent again: a new replica with the same session gets nothing
    with running(cfg) as again:
        wait_for(lambda: again.stats()["mqtt"]["session_present"], 5)
        time.sleep(0.5)
        assert again.stats()["received"] == 0


def _pg_stop(srv: PgServer) -> None:
    srv._run("pg_ctl", "-D", str(srv.data), "-m", "fast", "-w", "stop")


def test_database_outage_holds_acknowledgements_then_resumes(
    broker: Mosquitto, tmp_path: Path
) -> None:
    srv = PgServer()  # its own server: this test stops it
    srv.start()
    try:
        cfg = console_config(srv.create_database(), broker.port)
        with running(cfg) as replica:
            pub = _box(broker, tmp_path)
            first = lifecycle("v0", T0, [1])
            for ev in first:
                pub.publish_event(Event.from_wire(ev))
            wait_for(lambda: replica.stats()["applied"] == len(first)
                     and replica.stats()["mqtt"]["acked"] == replica.stats()["received"], 10)
            acked = replica.stats()["mqtt"]["acked"]
            _pg_stop(srv)
            later = [e for i in range(1, 6) for e in lifecycle(f"v{i}", T0 + 60 * i, [1, 2])]
            for ev in later:
                pub.publish_event(Event.from_wire(ev))
            # Every message reaches the replica (the MQTT link's count): the batch being
            # retried holds the ones it took, the rest wait in the queue behind it.
            wait_for(lambda: replica.stats()["database"] == "unavailable"
                     and replica.stats()["mqtt"]["received"] >= len(first) + len(later), 10)
            wait_for(lambda: replica.stats()["db_retries"] >= 3, 10, "retries")
            assert replica.stats()["mqtt"]["acked"] == acked  # nothing acknowledged
            assert srv._pg_ctl_start()
            wait_for(lambda: replica.stats()["applied"] == len(first) + len(later), 20,
                     "the held batch, committed")
            wait_for(lambda: replica.stats()["mqtt"]["acked"] == replica.stats()["received"],
                     5)
            assert replica.stats()["database"] == "ok"
            assert len(replica.store.list_violations(ViolationFilter(), ALL).items) == 6
            pub.stop()
    finally:
        srv.stop()


def test_status_topics_must_match_their_payload(pg_url: str, broker: Mosquitto) -> None:
    with running(console_config(pg_url, broker.port)) as replica:
        raw = RawClient(broker.port)
        raw.publish(f"sitewarden/{SITE}/{BOX}/status", {"state": "online", "site_id": SITE,
                    "box_id": BOX, "time": "2026-03-14T09:20:01.112+08:00"}, retain=True)
        raw.publish(f"sitewarden/{SITE}/edge-02/status", {"state": "online", "site_id": SITE,
                    "box_id": "edge-01"}, retain=True)
        raw.publish(f"sitewarden/{SITE}/{BOX}/cameras/{CAMERA}/status", json.dumps({
            "state": "online", "time": "2026-03-14T09:20:01.530+08:00"}), retain=True)
        raw.close()
        # The stats count a status when its batch is taken, the store has it after commit.
        wait_for(lambda: [b.box_id for b in replica.store.boxes(ALL)] == [BOX]
                 and [c.state for c in replica.store.cameras(ALL)] == ["online"]
                 and replica.stats()["rejected_total"] == 1, 10)
        assert replica.stats()["statuses"] == 2


def test_each_replica_runs_the_overdue_watcher(pg_url: str, broker: Mosquitto,
                                               tmp_path: Path) -> None:
    cfg = console_config(pg_url, broker.port,
                         http={"review": {"overdue_after_s": 60, "overdue_check_s": 0.2}})
    with running(cfg) as replica:
        pub = _box(broker, tmp_path)
        pub.publish_event(Event.from_wire(lifecycle("v-old", T0, [1], end=False)[0]))
        wait_for(lambda: replica.stats()["applied"] == 1, 10)
        wait_for(lambda: replica.store.get_violation("v-old", ALL).overdue, 5, "overdue")
        assert replica.overdue.marked == 1
        pub.stop()


def test_the_link_comes_back_after_the_broker_and_resubscribes(
    pg_url: str, broker: Mosquitto, tmp_path: Path
) -> None:
    with running(console_config(pg_url, broker.port)) as replica:
        assert replica.subscriber is not None
        sub = replica.subscriber
        broker.stop()
        wait_for(lambda: sub.stats()["state"] in ("waiting", "connecting")
                 and sub.stats()["last_error"], 10, "the link to notice")
        assert not sub.stats()["subscribed"]
        broker.start()
        wait_for(lambda: sub.stats()["subscribed"], 15, "subscribed again")
        assert sub.stats()["connects"] >= 2 and sub.stats()["session_present"]
        pub = _box(broker, tmp_path)
        pub.publish_event(Event.from_wire(lifecycle("v-after", T0, [1], end=False)[0]))
        wait_for(lambda: replica.stats()["applied"] == 1, 10, "an event after the restart")
        pub.stop()
