"""Load test: 100 simulated boxes publish about 6,000 violation events (started, updated,
ended, evidence_ready, numbered per box) and 200 box decisions, plus 10 % duplicates,
shuffled, through a real Mosquitto (persistence on) into TWO console replicas (processes)
on PostgreSQL, while one replica is killed with SIGKILL and started again and the broker
is restarted. Afterwards every violation is there exactly once with its final phase, no
phase or audit row is doubled, and no box has a sequence gap."""

from __future__ import annotations

import random
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from console.auth import create_token
from console.store import Scope, Store
from console.store.tables import audit, box_sequences, boxes, events_seen, violation_phases
from tests.centre.boxsim import BoxFleet, fleet_plan
from tests.centre.kit import ReplicaProcess, wait_for, write_console_file
from tests.publisher.mosquitto import Mosquitto, free_port

pytestmark = pytest.mark.slow

BOXES, VIOLATIONS_PER_BOX = 100, 15
RATE = 700.0  # messages/s: the whole run takes about 10 s of publishing


def test_two_replicas_a_kill_and_a_broker_restart_lose_and_double_nothing(
    pg_url: str, broker: Mosquitto, tmp_path: Path
) -> None:
    started = time.monotonic()
    store = Store.open(pg_url)
    token = create_token(store, "load-test", "admin")
    http_b = free_port()
    conf_a = write_console_file(tmp_path / "a.yaml", pg_url, broker.port)
    conf_b = write_console_file(tmp_path / "b.yaml", pg_url, broker.port, http_port=http_b)
    a = ReplicaProcess(conf_a, "centre-a", tmp_path / "a.log")
    b = ReplicaProcess(conf_b, "centre-b", tmp_path / "b.log")
    plan = fleet_plan(BOXES, VIOLATIONS_PER_BOX)
    messages = plan.messages(0.1, random.Random(2))
    sim = BoxFleet(broker.port, plan.boxes)
    try:
        a.start()
        b.start()
        a.wait_subscribed()
        b.wait_subscribed()
        sim.start()
        chunks = _split(messages, [0.25, 0.20, 0.15, 0.40])
        sim.publish(chunks[0], RATE)
        a.kill()  # mid-stream: whatever it had not committed comes back to it
        sim.publish(chunks[1], RATE)  # Mosquitto queues A's share in its offline session
        sim.wait_published(30)
        # Persistence on: sessions, what is queued for A (offline), retained statuses
        # survive. Mosquitto 2.0 does not restore $share subscriptions from its
        # persistence file, though: an event published before a replica subscribes again
        # would reach no one (docs/deploy.md). The boxes here pause until B is back.
        broker.restart()
        b.wait_subscribed(count=2)
        sim.publish(chunks[2], RATE)
        a.start()  # same client id: its session (and its share of the events) is waiting
        sim.publish(chunks[3], RATE)
        sim.wait_published(60)
        _wait_complete(store, plan, timeout_s=60)
        _check_rows(store, plan)
        fleet = httpx.get(f"http://127.0.0.1:{http_b}/api/fleet", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}).json()
        assert fleet["summary"]["boxes"] == BOXES and fleet["summary"]["missing_events"] == 0
        wait_for(lambda: _online(store) == BOXES, 10, "every box online")
    except AssertionError:
        print(f"--- replica a\n{a.log()[-4000:]}\n--- replica b\n{b.log()[-4000:]}")
        raise
    finally:
        sim.stop()
        a.stop()
        b.stop()
        store.close()
    elapsed = time.monotonic() - started
    print(f"load test: {len(messages)} messages in {elapsed:.1f} s")


def _split(items: list[tuple[str, bytes]], fracs: list[float]) -> list[list[tuple[str, bytes]]]:
    out, at = [], 0
    for i, f in enumerate(fracs):
        end = len(items) if i == len(fracs) - 1 else at + int(len(items) * f)
        out.append(items[at:end])
        at = end
    return out


def _wait_complete(store: Store, plan: object, timeout_s: float) -> None:
    expected = len(plan.events())  # type: ignore[attr-defined]
    # Sequence numbers commit in a short transaction after their events' (on PostgreSQL):
    # wait for them too, not only for the events.
    numbered = sum(b.last_sequence for b in plan.boxes)  # type: ignore[attr-defined]

    state: dict[str, int] = {}

    def done() -> bool:
        with store.db.read() as c:
            state["seen"] = c.execute(select(func.count()).select_from(events_seen)).scalar_one()
            state["missing"] = c.execute(select(func.sum(boxes.c.missing_count))).scalar_one()
            state["numbered"] = c.execute(select(func.sum(
                box_sequences.c.last_seq - box_sequences.c.first_seq + 1))).scalar_one() or 0
        return bool(state["seen"] == expected and not state["missing"]
                    and state["numbered"] == numbered)
    try:
        wait_for(done, timeout_s, "every event in the store")
    except AssertionError as e:
        raise AssertionError(f"{e}: {state} of {expected} events") from None


def _check_rows(store: Store, plan: object) -> None:
    violations = plan.violations()  # type: ignore[attr-defined]
    decisions = plan.decisions()  # type: ignore[attr-defined]
    page, stored = None, {}
    from console.store import ViolationFilter
    while True:
        got = store.list_violations(ViolationFilter(), Scope.all(), limit=500, cursor=page)
        stored.update({v.violation_id: v for v in got.items})
        if got.next_cursor is None:
            break
        page = got.next_cursor
    assert set(stored) == set(violations)
    decided = {d["data"]["violation_id"] for d in decisions}
    for vid, v in stored.items():
        assert (v.phase, v.evidence_ready) == ("ended", True), vid
        assert v.max_count == violations[vid]["max_count"], vid
        assert v.version == 4 + (vid in decided), vid  # each phase and decision once
        assert (v.decision == "confirmed") == (vid in decided), vid
    with store.db.read() as c:
        phases = c.execute(select(func.count()).select_from(violation_phases)).scalar_one()
        audit_rows = c.execute(select(audit.c.event_id, func.count())
                               .where(audit.c.event_id.is_not(None))
                               .group_by(audit.c.event_id)).all()
        ranges = c.execute(select(box_sequences.c.site_id, box_sequences.c.box_id,
                                  box_sequences.c.first_seq, box_sequences.c.last_seq)).all()
    assert phases == 4 * len(violations)
    assert sorted(r.event_id for r in audit_rows) == sorted(d["id"] for d in decisions)
    assert all(n == 1 for _, n in audit_rows)
    last = {(b.site_id, b.box_id): b.last_sequence for b in plan.boxes}  # type: ignore[attr-defined]
    assert {(r.site_id, r.box_id): (r.first_seq, r.last_seq) for r in ranges} == {
        k: (1, n) for k, n in last.items()}
    assert all(b.missing == 0 and b.gaps == [] for b in store.boxes(Scope.all()))


def _online(store: Store) -> int:
    return sum(b.state == "online" for b in store.boxes(Scope.all()))
