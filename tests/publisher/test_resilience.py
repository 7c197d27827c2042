"""The I/O loop outlives failures: deletes that fail, exceptions, listeners that raise;
numbering under concurrency; the memory bound as the platform sees it (gaps)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from publisher.client import Publisher
from publisher.link import Link
from publisher.outbox import Outbox, OutboxError, OutboxLockedError
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

ROOT = f"sitewarden/{SITE}/{BOX}"


class Switch:
    """Makes an Outbox method raise OutboxError while on, or for the next `times` calls."""

    def __init__(self, mp: pytest.MonkeyPatch, name: str, message: str, *,
                 disk_full: bool = False) -> None:
        self.on = False
        self.times = 0
        self.calls = 0
        real = getattr(Outbox, name)

        def call(ob: Outbox, *a: Any, **kw: Any) -> Any:
            self.calls += 1
            if self.on or self.times > 0:
                self.times = max(0, self.times - 1)
                raise OutboxError(message, disk_full=disk_full)
            return real(ob, *a, **kw)

        mp.setattr(Outbox, name, call)


def test_failed_deletes_are_retried_and_nothing_is_sent_twice(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delete = Switch(monkeypatch, "delete", "cannot delete acknowledged rows: disk I/O error")
    delete.times = 3
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
    pub.start()
    try:
        events = [pub.publish_event(make_event(i)) for i in range(30)]
        assert pub.flush(10)  # acknowledged is what counts, deleted or not
        assert wait_until(lambda: pub.stats()["outbox_depth"] == 0, 10)
        st = pub.stats()
    finally:
        pub.stop()
    assert st["delete_failures"] == 3 and st["loop_errors"] == 0 and st["sent"] == 30
    assert st["acked_not_deleted"] == 0 and st["health"] == "ok"
    assert sub.wait_for(lambda ms: len(ms) >= 30)
    assert sub.event_ids() == [e.id for e in events]  # each exactly once


def test_acked_rows_that_cannot_be_deleted_are_not_sent_again_after_a_reconnect(
    broker: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    delete = Switch(monkeypatch, "delete", "cannot delete acknowledged rows: disk I/O error")
    delete.on = True
    pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
    pub.start()
    try:
        for i in range(10):
            pub.publish_event(make_event(i))
        assert wait_until(lambda: pub.stats()["acked"] == 10)
        assert pub.stats()["acked_not_deleted"] == 10 and pub.stats()["outbox_depth"] == 10
        broker.restart()  # a new link starts from the oldest row: the acked ones are skipped
        assert wait_until(lambda: pub.stats()["reconnects"] >= 1 and pub.stats()["connected"])
        pub.publish_event(make_event(10))
        assert wait_until(lambda: pub.stats()["acked"] == 11)
        assert pub.stats()["sent"] == 11
        delete.on = False
        assert wait_until(lambda: pub.stats()["outbox_depth"] == 0, 10)
    finally:
        pub.stop()


def test_an_exception_in_the_io_loop_is_logged_counted_and_survived(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    real_fill = Link.fill
    failures = {"left": 2}

    def fill(link: Link, *a: Any) -> int:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("injected bug")
        return real_fill(link, *a)

    monkeypatch.setattr(Link, "fill", fill)
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
    with caplog.at_level(logging.ERROR, logger="publisher"):
        pub.start()
        try:
            events = [pub.publish_event(make_event(i)) for i in range(5)]
            assert pub.flush(10)
            st = pub.stats()
            assert pub._thread is not None and pub._thread.is_alive()
        finally:
            pub.stop()
    assert st["loop_errors"] == 2 and st["connected"]
    assert sub.wait_for(lambda ms: len(ms) >= 5)
    assert first_seen_order(sub.event_ids()) == [e.id for e in events]
    errors = [r for r in caplog.records if "I/O loop error" in r.getMessage()]
    assert errors and errors[0].exc_info is not None  # the traceback is in the log
    assert len(errors) == 1  # the same error again within a minute: not logged again


def test_outbox_io_error_is_reported_with_its_message_and_a_raising_listener_is_survived(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    put = Switch(monkeypatch, "put_many", "cannot store message in outbox x: disk I/O error")
    probe = Switch(monkeypatch, "save_sequence", "cannot write to outbox x: disk I/O error")

    def listener_bug(state: str, detail: dict[str, Any]) -> None:
        raise RuntimeError("listener bug")

    health = HealthLog(listener_bug)
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    pub = Publisher(fast_settings(broker.port, outbox={"retry_s": 0.1}), SITE, BOX,
                    tmp_path / "ob.db", on_health=health)
    pub.start()
    try:
        first = pub.publish_event(make_event(0))
        put.on = probe.on = True
        held = [pub.publish_event(make_event(i)) for i in range(1, 4)]
        assert wait_until(lambda: health.states() == ["degraded"])
        assert sub.wait_for(lambda ms: len(ms) >= 4)  # from memory
        assert wait_until(lambda: probe.calls >= 1)  # a probe failed too: still degraded
        assert health.states() == ["degraded"]
        put.on = probe.on = False
        assert wait_until(lambda: health.states() == ["degraded", "ok"])
        last = pub.publish_event(make_event(4))
        assert pub.flush(10)
        st = pub.stats()
    finally:
        pub.stop()
    _, detail = health.reports[0]
    assert detail["reason"] == "outbox_error" and "disk I/O error" in detail["message"]
    assert st["loop_errors"] == 0 and st["outbox_failures"] >= 2 and probe.calls >= 2
    assert first_seen_order(sub.event_ids()) == [e.id for e in [first, *held, last]]


def test_memory_bound_evicts_updates_first_and_the_platform_sees_the_gaps(
    tmp_path: Path, collector_factory: Callable[..., Collector], monkeypatch: pytest.MonkeyPatch,
    require_mosquitto: None,
) -> None:
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    broker.stop()  # broker and disk both down: everything stays in memory
    put = Switch(monkeypatch, "put_many", "cannot store message in outbox x: database or disk "
                 "is full", disk_full=True)
    put.on = True
    settings = fast_settings(broker.port, outbox={"memory_max_events": 4, "retry_s": 0.1})
    pub = Publisher(settings, SITE, BOX, tmp_path / "ob.db")
    pub.start()
    phases = [("A", "started", 0), ("A", "updated", 1), ("A", "updated", 2),
              ("B", "started", 0), ("A", "ended", 0), ("B", "updated", 1), ("C", "started", 0)]
    try:
        sent = [pub.publish_event(make_event(1, violation_id=v, phase=p, seq=k))
                for v, p, k in phases]
        st = pub.stats()
        assert st["held_in_memory"] == 4
        assert (st["memory_merged"], st["memory_dropped"], st["memory_dropped_protected"]) == (
            2, 1, 0)
        broker.start()
        assert wait_until(lambda: pub.stats()["held_in_memory"] == 0, 20)
        assert sub.wait_for(lambda ms: len(ms) >= 4)
    finally:
        pub.stop()
        broker.kill()
    # A's two updates were merged into its `ended`, B's update dropped: numbers 2, 3, 6 are
    # missing on the wire, which is how the platform sees that events were given up.
    got = [(e["data"]["violation_id"], e["data"]["phase"], e["sequence"]) for e in sub.events()]
    assert got == [("A", "started", "1"), ("B", "started", "4"), ("A", "ended", "5"),
                   ("C", "started", "7")]
    assert [e.sequence for e in sent] == [str(n) for n in range(1, 8)]


def test_concurrent_callers_get_unique_increasing_numbers_in_wire_order(
    broker: Mosquitto, collector_factory: Callable[..., Collector], tmp_path: Path,
) -> None:
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    pub = Publisher(fast_settings(broker.port), SITE, BOX, tmp_path / "ob.db")
    pub.start()
    out: list[list[str]] = [[] for _ in range(4)]

    def produce(t: int) -> None:
        for i in range(40):
            out[t].append(pub.publish_event(make_event(t * 1000 + i)).sequence or "")

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(4)]
    try:
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
        assert pub.flush(20)
    finally:
        pub.stop()
    for seqs in out:  # each caller sees its own numbers increase
        assert [int(s) for s in seqs] == sorted(int(s) for s in seqs)
    assert sorted(int(s) for seqs in out for s in seqs) == list(range(1, 161))
    assert sub.wait_for(lambda ms: len(ms) >= 160)
    assert [int(e["sequence"]) for e in sub.events()] == list(range(1, 161))  # wire order


def test_a_second_publisher_on_the_same_outbox_still_fails_at_once(tmp_path: Path) -> None:
    # Only a full or failing disk falls back to memory; two publishers on one outbox is a
    # set-up error (it would double-send), and publishing after stop() is a caller's bug.
    pub = Publisher(fast_settings(1883), SITE, BOX, tmp_path / "ob.db")
    with pytest.raises(OutboxLockedError, match="in use by another running publisher"):
        Publisher(fast_settings(1883), SITE, BOX, tmp_path / "ob.db")
    pub.stop()
    with pytest.raises(OutboxError, match="stopped"):
        pub.publish_event(make_event(1))


def test_events_emitted_while_held_ones_move_in_stay_behind_them(
    tmp_path: Path, collector_factory: Callable[..., Collector], monkeypatch: pytest.MonkeyPatch,
    require_mosquitto: None,
) -> None:
    import publisher.store as store

    # Small batches, one per loop turn: the move spans many turns, with callers in between.
    monkeypatch.setattr(store, "_MOVE_BATCH", 10)
    monkeypatch.setattr(store, "_MOVE_BATCHES_PER_TURN", 1)
    broker = Mosquitto(tmp_path / "broker")
    broker.start()
    sub = collector_factory(broker.port, f"{ROOT}/events/#")
    broker.stop()
    put = Switch(monkeypatch, "put_many", "cannot store message in outbox x: database or disk "
                 "is full", disk_full=True)
    probe = Switch(monkeypatch, "save_sequence", "cannot write: database or disk is full",
                   disk_full=True)
    pub = Publisher(fast_settings(broker.port, outbox={"retry_s": 0.05}), SITE, BOX,
                    tmp_path / "ob.db")
    pub.start()
    sent: list[str] = []
    try:
        put.on = probe.on = True
        sent += [pub.publish_event(make_event(i)).id for i in range(300)]
        assert pub.stats()["held_in_memory"] == 300

        def produce() -> None:
            for i in range(300, 500):
                sent.append(pub.publish_event(make_event(i)).id)
                if i == 320:
                    put.on = probe.on = False  # the outbox works again mid-stream
                time.sleep(0.0005)

        producer = threading.Thread(target=produce)
        producer.start()
        producer.join(30)
        assert wait_until(lambda: pub.stats()["held_in_memory"] == 0, 20)
        assert pub.stats()["moved_to_outbox"] >= 300
        broker.start()
        assert pub.flush(20)
        assert sub.wait_for(lambda ms: len({m.json()["id"] for m in ms}) >= 500, 20)
    finally:
        pub.stop()
        broker.kill()
    assert first_seen_order(sub.event_ids()) == sent
