"""Broker outages: stopped mid-stream and restarted, and a port where nothing listens."""

from __future__ import annotations

import signal
import threading
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
def test_broker_stopped_mid_stream_and_restarted_loses_nothing(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
    protocol: str,
) -> None:
    sub = collector_factory(broker.port, f"{ROOT}/events/#")  # persistent session
    pub = Publisher(fast_settings(broker.port, protocol=protocol), SITE, BOX, tmp_path / "ob.db")
    events = [make_event(i) for i in range(300)]
    committed = threading.Semaphore(0)

    def produce() -> None:
        for ev in events:
            pub.publish_event(ev)
            committed.release()

    pub.start()
    producer = threading.Thread(target=produce)
    try:
        producer.start()
        assert wait_until(lambda: pub.stats()["acked"] >= 40)
        broker.stop()  # mid-stream: the producer keeps committing while the broker is away
        assert wait_until(lambda: not pub.stats()["connected"])
        for _ in range(150):  # the box keeps working during the outage
            assert committed.acquire(timeout=10)
        assert pub.stats()["outbox_depth"] > 0
        broker.start()
        producer.join(30)
        assert pub.flush(30)
        want = [e.id for e in events]
        assert sub.wait_for(lambda ms: len({m.json()["id"] for m in ms}) >= len(want), 20)
        assert first_seen_order(sub.event_ids()) == want
        st = pub.stats()
        assert st["reconnects"] >= 1 and st["outbox_depth"] == 0 and st["connected"]
    finally:
        producer.join(10)
        pub.stop()


def test_refused_connection_keeps_events_until_broker_appears(
    tmp_path: Path, collector_factory: Callable[..., Collector], require_mosquitto: None,
) -> None:
    broker = Mosquitto(tmp_path / "broker")
    # Register the platform's persistent subscription first, then take the broker away.
    broker.start()
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    broker.stop()
    pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
    pub.start()
    try:
        events = [make_event(i) for i in range(20)]
        for ev in events:
            pub.publish_event(ev)  # never blocks on the network
        assert wait_until(lambda: pub.stats()["connect_attempts"] >= 3)
        st = pub.stats()
        assert st["state"] == "waiting" and not st["connected"]
        assert "refused" in st["last_error"] and st["outbox_depth"] == 20
        assert pub.is_pending("v-00003")
        broker.start()
        assert pub.flush(20)
        assert sub.wait_for(lambda ms: len(ms) >= 20)
        assert first_seen_order(sub.event_ids()) == [e.id for e in events]
        assert not pub.is_pending("v-00003")
    finally:
        pub.stop()
        broker.kill()


def test_frozen_broker_is_detected_by_keepalive_and_events_follow_later(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
) -> None:
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    pub = Publisher(fast_settings(broker.port, keepalive_s=5, connect_timeout_s=1.0), SITE, BOX,
                    tmp_path / "ob.db")
    pub.start()
    assert broker.proc is not None
    try:
        assert wait_until(lambda: pub.stats()["connected"])
        broker.proc.send_signal(signal.SIGSTOP)  # half-open link: TCP stays up, no answers
        events = [make_event(i) for i in range(5)]
        for ev in events:
            pub.publish_event(ev)
        # No PINGRESP within the keepalive: the link is declared dead (not "connected").
        assert wait_until(lambda: not pub.stats()["connected"], 20)
        assert pub.stats()["outbox_depth"] == 5
        broker.proc.send_signal(signal.SIGCONT)
        assert pub.flush(20)
        assert sub.wait_for(lambda ms: {m.json()["id"] for m in ms} >= {e.id for e in events})
        assert first_seen_order(sub.event_ids()) == [e.id for e in events]
    finally:
        broker.proc.send_signal(signal.SIGCONT)
        pub.stop()


def test_run_can_be_driven_by_the_callers_thread(broker: Mosquitto, tmp_path: Path) -> None:
    pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
    runner = threading.Thread(target=pub.run)
    runner.start()
    pub.publish_event(make_event(1))
    assert pub.flush(10)
    pub.stop()
    runner.join(5)
    assert not runner.is_alive() and pub.stats()["state"] == "stopped"
