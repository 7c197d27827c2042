"""Replicas do not wait for each other's violations: with `defer_busy` an event whose
violation another transaction holds comes back `deferred` and unapplied (real PostgreSQL);
the centre's ingest holds it, applies it with a later batch, and acknowledges nothing after
it before then (a fake store)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from console.centre.config import IngestConfig
from console.centre.ingest import _MAX_DEFERS, Ingest
from console.centre.mqtt import Received
from console.store import IngestResult, Store, pgbulk
from console.store.scope import Scope
from console.store.tables import box_sequences, events_seen
from tests.centre.boxsim import PREFIX, encode, topic
from tests.console.helpers import T0, lifecycle

ALL = Scope.all()


def _count(store: Store, table: Any) -> int:
    with store.db.read() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_violation_held_elsewhere_is_deferred_not_waited_for(pg_url: str) -> None:
    store, other = Store.open(pg_url), Store.open(pg_url)
    held, release = threading.Event(), threading.Event()

    def hold(tx: Any) -> None:  # another replica's transaction on v1, not committed yet
        pgbulk.lock_names(tx.conn, ["v1"])
        held.set()
        release.wait(20)

    t = threading.Thread(target=other.transact, args=(hold,))
    try:
        t.start()
        assert held.wait(10)
        v1 = lifecycle("v1", T0, [1], sequence=1)
        v2 = lifecycle("v2", T0 + 1, [1])
        results = store.ingest_many(v1 + v2, defer_busy=True)
        assert t.is_alive()  # returned while the other transaction still holds v1
        assert [r.status for r in results] == ["deferred"] * len(v1) + ["applied"] * len(v2)
        assert {r.ref for r in results if r.status == "deferred"} == {"v1"}
        # nothing of v1 written: not its ids (else it would come back as a duplicate),
        # not its sequence numbers, not the violation
        assert _count(store, events_seen) == len(v2)
        assert _count(store, box_sequences) == 0  # only v1's events carry numbers
        assert store.get_violation("v2", ALL) is not None
        release.set()
        t.join(10)
        again = store.ingest_many(v1, defer_busy=True)
        assert [r.status for r in again] == ["applied"] * len(v1)
        assert store.get_violation("v1", ALL).phase == "ended"
        assert _count(store, box_sequences) == 1  # its number, once applied
    finally:
        release.set()
        t.join(10)
        store.close()
        other.close()


class DeferringStore:
    """Defers violation `busy` for its first `times` calls with defer_busy (never when
    waiting); records what each call was given."""

    def __init__(self, busy: str, times: int) -> None:
        self.busy, self.times = busy, times
        self.calls: list[tuple[list[str], bool]] = []

    def ingest_many(self, events: Sequence[dict[str, Any]], *,
                    defer_busy: bool = False) -> list[IngestResult]:
        self.calls.append(([e["id"] for e in events], defer_busy))
        deferring = defer_busy and self.times > 0
        self.times -= 1 if deferring else 0
        return [IngestResult(e["id"], "deferred" if deferring and
                             e["data"]["violation_id"] == self.busy else "applied")
                for e in events]

    def record_statuses(self, messages: Sequence[Any]) -> list[bool | None]:
        return [True for _ in messages]


def _received(events: list[dict[str, Any]]) -> list[Received]:
    return [Received(topic(e), encode(e), mid, 1, False, 0, time.monotonic())
            for mid, e in enumerate(events, 1)]


def _ingest(store: DeferringStore) -> tuple[Ingest, list[list[int]]]:
    acked: list[list[int]] = []
    cfg = IngestConfig(batch_max_events=4, batch_max_wait_ms=1)
    ing = Ingest(store, cfg, PREFIX, ack=lambda ms: acked.append([m.mid for m in ms]))  # type: ignore[arg-type]
    return ing, acked


def test_a_deferred_event_holds_back_the_acknowledgements_after_it() -> None:
    events = [*lifecycle("v1", T0, [1, 2], end=False), *lifecycle("v2", T0, [1, 2], end=False),
              *lifecycle("v3", T0, [1, 2], end=False)]  # two events each: mids 1..6
    store = DeferringStore("v2", times=1)
    ing, acked = _ingest(store)
    for m in _received(events):
        ing.submit(m)
    ing.step(0.1)  # mids 1-4: v2's (3, 4) deferred
    assert acked == [[1, 2]]
    ing.step(0.1)  # mids 5, 6 with the held 3, 4 first
    assert store.calls[1] == ([e["id"] for e in events[2:4] + events[4:6]], True)
    assert acked == [[1, 2], [3, 4, 5, 6]]  # in arrival order
    assert ing.snapshot()["deferred"] == 2 and ing.snapshot()["held"] == 0
    assert ing.snapshot()["applied"] == 6


def test_after_max_defers_the_lock_is_waited_for() -> None:
    events = lifecycle("v2", T0, [1, 2], end=False)
    store = DeferringStore("v2", times=10 ** 6)  # always busy when not waited for
    ing, acked = _ingest(store)
    for m in _received(events):
        ing.submit(m)
    steps = 0
    while not acked:
        ing.step(0.01)
        steps += 1
        assert steps <= _MAX_DEFERS + 1
    assert [d for _, d in store.calls] == [True] * _MAX_DEFERS + [False]
    assert acked == [[1, 2]]


def test_a_clean_stop_applies_what_is_held() -> None:
    events = lifecycle("v2", T0, [1, 2], end=False)
    store = DeferringStore("v2", times=1)
    ing, acked = _ingest(store)
    for m in _received(events):
        ing.submit(m)
    ing.step(0.1)
    assert acked == [] and ing.snapshot()["held"] == 2
    ing.stop()
    ing.run()  # the loop ends at once; what is held is applied, waiting for its lock
    assert acked == [[1, 2]] and store.calls[-1][1] is False
