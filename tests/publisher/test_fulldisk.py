"""A full disk under the outbox never costs an event and never stops delivery.

Real Mosquitto, outbox on a real 4 MiB tmpfs (see smalldisk.py) filled to the last byte by a
filler file. Delivery is checked as the platform sees it: every event arrives at least once
(QoS 1; consumers de-duplicate by id), the first occurrences are in emission order, and the
CloudEvents `sequence` numbers on the wire are 1..N without a gap. In these runs the link never
drops, so no event may arrive twice either: that checks that nothing acknowledged (from the
outbox, from memory, or moved between the two while in flight) is sent again.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from publisher.client import Publisher
from publisher.events import Event, box_event
from publisher.outbox import Outbox
from tests.publisher.conftest import (
    BOX,
    SITE,
    Collector,
    HealthLog,
    fast_settings,
    first_seen_order,
    make_event,
    wait_until,
)
from tests.publisher.mosquitto import Mosquitto
from tests.publisher.smalldisk import SmallDisk

ROOT = f"sitewarden/{SITE}/{BOX}"
log = logging.getLogger(__name__)


class Producer:
    """Emits numbered test events and keeps what publish_event returned (the wire truth)."""

    def __init__(self, pub: Publisher) -> None:
        self.pub = pub
        self.sent: list[Event] = []
        self._lock = threading.Lock()

    def emit(self, n: int, pause_s: float = 0.002) -> None:
        for _ in range(n):
            with self._lock:
                i = len(self.sent)
            self.add(self.pub.publish_event(make_event(i)))
            time.sleep(pause_s)

    def add(self, ev: Event) -> None:
        with self._lock:
            self.sent.append(ev)

    def in_order(self) -> list[Event]:
        with self._lock:
            return sorted(self.sent, key=lambda e: int(e.sequence or 0))


def _settings(port: int) -> Any:
    return fast_settings(port, outbox={"retry_s": 0.2})


def _check_wire(sub: Collector, sent: list[Event]) -> dict[str, int]:
    """Every event arrived, first occurrences in order, sequences 1..N, payload = event."""
    assert sub.wait_for(lambda ms: {m.json()["id"] for m in ms} >= {e.id for e in sent}, 20)
    events = sub.events()
    ids = [e["id"] for e in events]
    assert first_seen_order(ids) == [e.id for e in sent]
    first: dict[str, dict[str, Any]] = {}
    for e in events:
        first.setdefault(e["id"], e)
    seqs = [int(first[e.id]["sequence"]) for e in sent]
    assert seqs == list(range(1, len(sent) + 1))  # strictly increasing, no gap
    assert all(first[e.id] == e.to_wire() for e in sent)
    return {"written": len(sent), "received": len(ids), "distinct": len(first),
            "duplicates": len(ids) - len(first)}


def test_disk_filled_while_running_loses_nothing_and_recovers(
    broker: Mosquitto, collector_factory: Callable[..., Collector], small_disk: SmallDisk,
) -> None:
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    health = HealthLog()
    pub = Publisher(_settings(broker.port), SITE, BOX, small_disk.path / "outbox.db",
                    on_health=health)
    prod = Producer(pub)
    assert broker.proc is not None
    pub.start()
    try:
        prod.emit(20)  # before: through the outbox
        assert wait_until(lambda: pub.stats()["acked"] >= 20)
        # Five rows in flight when the disk fills: their PUBACKs come when no delete can
        # be written. The rows are kept (and not sent again) until a delete works.
        broker.proc.send_signal(signal.SIGSTOP)
        prod.emit(5)
        filled = small_disk.fill()
        broker.proc.send_signal(signal.SIGCONT)
        assert wait_until(lambda: pub.stats()["acked"] >= 25)
        assert wait_until(lambda: pub.stats()["delete_failures"] >= 1, 5)
        assert pub.stats()["acked_not_deleted"] == 5
        # Events keep coming; the first one the outbox cannot store turns the box degraded.
        for _ in range(300):
            prod.emit(1)
            if pub.stats()["outbox_state"] != "ok":
                break
        assert wait_until(lambda: health.states() == ["degraded"], 5), health.reports
        during_full = len(prod.sent) - 25
        prod.emit(20)  # during, broker up: held in memory and sent from there
        assert wait_until(lambda: pub.stats()["held_in_memory"] == 0)
        assert pub.stats()["outbox_state"] == "failing"
        # Broker frozen: the next events stay held (in flight, unacknowledged) ...
        broker.proc.send_signal(signal.SIGSTOP)
        prod.emit(15)
        assert pub.stats()["held_in_memory"] == 15
        # The delete is retried, and fails again, while the disk stays full.
        assert wait_until(lambda: pub.stats()["delete_failures"] >= 2, 5)
        assert pub.stats()["acked_not_deleted"] == 5
        # ... and move into the outbox, still in flight, once the filler is gone.
        small_disk.free()
        assert wait_until(lambda: health.states() == ["degraded", "ok"], 5), health.reports
        moved = pub.stats()
        assert moved["held_in_memory"] == 0 and moved["outbox_state"] == "ok"
        assert moved["moved_to_outbox"] >= 15 and moved["outbox_depth"] >= 15
        assert wait_until(lambda: pub.stats()["acked_not_deleted"] == 0, 5)  # retried
        broker.proc.send_signal(signal.SIGCONT)
        prod.emit(20)  # after: through the outbox again
        assert pub.flush(20)
        st = pub.stats()
    finally:
        broker.proc.send_signal(signal.SIGCONT)
        pub.stop()
    figures = _check_wire(sub, prod.sent)
    assert figures["duplicates"] == 0
    assert st["loop_errors"] == 0 and st["outbox_depth"] == 0 and st["sent"] == len(prod.sent)
    (_, degraded), (_, ok) = health.reports
    assert degraded["reason"] == "disk_full" and degraded["affected"] == ["outbox"]
    assert degraded["held_in_memory"] >= 1 and "full" in degraded["message"]
    assert ok == {"affected": ["outbox"], "held_in_memory": 0}
    assert health.threads == {"mqtt-publisher"}
    log.info("full disk while running (%s, filler %d bytes): %s, %d event(s) until the outbox "
             "failed, health %s, stats %s", small_disk.mode, filled, figures, during_full,
             health.states(), {k: st[k] for k in ("outbox_failures", "moved_to_outbox",
                                                  "delete_failures", "acked", "sent")})


def test_start_on_a_full_disk_runs_from_memory_and_recovers(
    broker: Mosquitto, collector_factory: Callable[..., Collector], small_disk: SmallDisk,
) -> None:
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    small_disk.fill()
    prod: Producer

    def box_reacts(state: str, detail: dict[str, Any]) -> None:
        # What the box does with a report: an event, published from inside the callback.
        ev = box_event(SITE, BOX, "degraded" if state == "degraded" else "ok",
                       datetime.now(UTC), {"part": "outbox", **detail})
        prod.add(pub.publish_event(ev))

    health = HealthLog(box_reacts)
    path = small_disk.path / "outbox.db"
    pub = Publisher(_settings(broker.port), SITE, BOX, path, on_health=health)
    prod = Producer(pub)
    assert pub.stats()["outbox_state"] == "closed"
    pub.start()
    try:
        assert wait_until(lambda: health.states() == ["degraded"], 5)
        prod.emit(20)
        assert sub.wait_for(lambda ms: len(ms) >= 21)  # delivered from memory
        # the subscriber may see the last one before the publisher has its PUBACK
        assert wait_until(lambda: pub.stats()["held_in_memory"] == 0, 5)
        assert pub.stats()["outbox_state"] == "closed"
        small_disk.free()
        assert wait_until(lambda: health.states() == ["degraded", "ok"], 5)
        assert pub.stats()["outbox_state"] == "ok"
        prod.emit(10)
        assert pub.flush(20)
    finally:
        pub.stop()
    sent = prod.in_order()
    figures = _check_wire(sub, sent)
    assert figures["duplicates"] == 0
    box = [e.type for e in sent if e.family == "box"]
    assert box == ["sitewarden.box.degraded", "sitewarden.box.ok"]
    # Numbers given out from memory were persisted once the outbox opened: a restart
    # continues after them.
    ob = Outbox(path, 10**6)
    try:
        assert ob.last_sequence == len(sent) and ob.usage().depth == 0
    finally:
        ob.close()
    log.info("start on a full disk (%s): %s, health %s", small_disk.mode, figures,
             health.states())


def test_broker_down_while_the_disk_is_full_delivers_held_events_later(
    tmp_path: Any, collector_factory: Callable[..., Collector], small_disk: SmallDisk,
    require_mosquitto: None,
) -> None:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()  # register the platform's persistent session, then take the broker away
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    broker.stop()
    health = HealthLog()
    pub = Publisher(_settings(broker.port), SITE, BOX, small_disk.path / "outbox.db",
                    on_health=health)
    prod = Producer(pub)
    pub.start()
    try:
        small_disk.fill()
        prod.emit(30)
        assert wait_until(lambda: health.states() == ["degraded"], 5)
        st = pub.stats()
        assert not st["connected"] and st["held_in_memory"] == 30 and st["outbox_depth"] == 0
        assert pub.is_pending("v-00007")  # held events keep their evidence
        broker.start()  # disk still full: the held events go out from memory
        assert wait_until(lambda: pub.stats()["held_in_memory"] == 0, 20)
        assert pub.stats()["outbox_state"] == "failing"
        assert not pub.is_pending("v-00007")
        small_disk.free()
        assert wait_until(lambda: health.states() == ["degraded", "ok"], 5)
        prod.emit(5)
        assert pub.flush(20)
    finally:
        pub.stop()
        broker.kill()
    figures = _check_wire(sub, prod.sent)
    log.info("broker down on a full disk (%s): %s", small_disk.mode, figures)
