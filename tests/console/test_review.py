"""The closed loop: claim, release, decide, reopen, comment, overdue, and the audit log."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from console.roles import Role
from console.store import (
    Actor,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    Scope,
    Store,
    ViolationFilter,
)
from tests.console.helpers import SITE, T0, Clock, decided, lifecycle

ALL = Scope.all()
ALICE = Actor("alice", Role.OPERATOR, ALL)
BOB = Actor("bob", Role.OPERATOR, ALL)
ROOT = Actor("root", Role.ADMIN, ALL)
VIEWER = Actor("vera", Role.VIEWER, ALL)


@pytest.fixture
def v1(store: Store) -> str:
    store.ingest_many(lifecycle("v1", T0, [1, 2]))
    return "v1"


def test_first_claimer_holds_it_others_see_who(store: Store, v1: str, clock: Clock) -> None:
    v = store.claim(v1, ALICE)
    assert (v.claimed_by, v.claimed_ts) == ("alice", clock.now)
    assert store.claim(v1, ALICE).version == v.version  # claiming again changes nothing
    with pytest.raises(Conflict, match="claimed by alice") as e:
        store.claim(v1, BOB)
    assert e.value.holder == "alice"
    with pytest.raises(Forbidden):
        store.claim(v1, BOB, force=True)  # only an admin may take it over
    assert store.claim(v1, ROOT, force=True).claimed_by == "root"
    actions = [(a.action, a.actor, a.detail["after"]) for a in store.audit_of(v1, ALL)]
    assert actions == [("claim", "alice", {"claimed_by": "alice"}),
                       ("claim", "root", {"claimed_by": "root"})]


def test_release(store: Store, v1: str) -> None:
    store.claim(v1, ALICE)
    with pytest.raises(Conflict):
        store.release(v1, BOB)
    assert store.release(v1, ALICE).claimed_by is None
    store.release(v1, ALICE)  # not claimed: nothing to do, nothing logged
    assert [a.action for a in store.audit_of(v1, ALL)] == ["claim", "release"]


DECISIONS = {
    "confirmed": ({"decision": "confirmed"}, None),
    "false alarm with reason": ({"decision": "false_alarm", "reason": "authorised_work"}, None),
    "false alarm without reason": ({"decision": "false_alarm"}, "needs a reason"),
    "false alarm bad reason": ({"decision": "false_alarm", "reason": "bored"}, "needs a reason"),
    "follow up with comment": ({"decision": "follow_up", "comment": "call shift lead"}, None),
    "dispatched": ({"decision": "dispatched", "dispatched_to": "guard team 2"}, None),
    "dispatched to nobody": ({"decision": "dispatched", "dispatched_to": "  "}, "to whom"),
    "reason on confirmed": ({"decision": "confirmed", "reason": "other"}, "only a false alarm"),
    "unknown decision": ({"decision": "maybe"}, "unknown decision"),
}


@pytest.mark.parametrize(("kwargs", "error"), DECISIONS.values(), ids=DECISIONS.keys())
def test_decisions(store: Store, v1: str, kwargs: dict[str, Any], error: str | None) -> None:
    if error is not None:
        with pytest.raises(InvalidInput, match=error):
            store.decide(v1, ALICE, **kwargs)
        assert store.audit_of(v1, ALL) == []
        return
    v = store.decide(v1, ALICE, **kwargs)
    assert v.decision == kwargs["decision"]
    assert v.decision_reason == kwargs.get("reason")
    assert v.decision_comment == kwargs.get("comment")
    assert v.dispatched_to == kwargs.get("dispatched_to")
    assert v.decided_by == "alice" and v.decision_event_id is not None
    [entry] = store.audit_of(v1, ALL)
    assert (entry.action, entry.actor, entry.event_id) == ("decide", "alice",
                                                           v.decision_event_id)
    assert entry.detail["before"]["decision"] is None
    assert entry.detail["after"]["decision"] == kwargs["decision"]


def test_deciding_releases_the_claim_and_needs_it(store: Store, v1: str) -> None:
    store.claim(v1, ALICE)
    with pytest.raises(Conflict, match="claimed by alice"):
        store.decide(v1, BOB, "confirmed")
    v = store.decide(v1, ALICE, "confirmed")
    assert v.claimed_by is None
    with pytest.raises(Conflict, match="already decided"):
        store.decide(v1, BOB, "false_alarm", reason="other")


def test_a_decision_on_a_stale_page_conflicts(store: Store, v1: str) -> None:
    shown = store.get_violation(v1, ALL).version
    store.ingest(lifecycle("v1", T0, [1, 2, 5])[2])  # a new update arrives meanwhile
    with pytest.raises(Conflict, match="changed"):
        store.decide(v1, ALICE, "confirmed", expected_version=shown)
    store.decide(v1, ALICE, "confirmed", expected_version=shown + 1)


def test_reopen_and_comment(store: Store, v1: str) -> None:
    with pytest.raises(Conflict, match="not decided"):
        store.reopen(v1, ALICE, "why not")
    store.decide(v1, ALICE, "false_alarm", reason="not_a_person")
    with pytest.raises(InvalidInput, match="comment"):
        store.reopen(v1, BOB, "  ")
    v = store.reopen(v1, BOB, "it was a person after all")
    assert v.decision is None and v.decision_reason is None and v.decided_by is None
    store.comment(v1, BOB, "checked the clip")
    store.decide(v1, BOB, "confirmed")
    log = store.audit_of(v1, ALL)
    assert [(a.action, a.actor) for a in log] == [
        ("decide", "alice"), ("reopen", "bob"), ("comment", "bob"), ("decide", "bob")]
    assert log[1].detail["before"]["decision"] == "false_alarm"
    assert log[1].detail["comment"] == "it was a person after all"
    assert log[2].detail == {"comment": "checked the clip"}


def test_viewers_may_not_review(store: Store, v1: str) -> None:
    for act in (lambda: store.claim(v1, VIEWER), lambda: store.decide(v1, VIEWER, "confirmed"),
                lambda: store.comment(v1, VIEWER, "x"), lambda: store.release(v1, VIEWER)):
        with pytest.raises(Forbidden):
            act()


def test_unknown_violation(store: Store) -> None:
    with pytest.raises(NotFound):
        store.claim("nope", ALICE)


def test_overdue_is_marked_once(store: Store, v1: str, clock: Clock) -> None:
    store.ingest_many(lifecycle("v2", T0 + 600, [1]))
    store.ingest_many(lifecycle("v3", T0 - 600, [1]))
    store.decide("v3", ALICE, "confirmed")  # handled: never overdue
    due = store.mark_overdue(T0 + 300, after_s=120)
    assert [(v.violation_id, v.overdue, v.overdue_ts) for v in due] == [
        ("v1", True, T0 + 300)]
    assert store.mark_overdue(T0 + 300, after_s=120) == []
    assert [v.violation_id for v in store.mark_overdue(T0 + 900, after_s=120)] == ["v2"]
    [entry] = [a for a in store.audit_of(v1, ALL) if a.action == "overdue"]
    assert (entry.actor, entry.detail["after_s"]) == ("system", 120)
    page = store.list_violations(ViolationFilter(overdue=True), ALL)
    assert {v.violation_id for v in page.items} == {"v1", "v2"}


def test_review_event_round_trip(store: Store, v1: str) -> None:
    """A decision made here leaves as review.decided; coming back it is a duplicate."""
    store.decide(v1, ALICE, "dispatched", dispatched_to="guard")
    ev = store.review_event(v1, ALL)
    assert ev is not None and ev["type"] == "sitewarden.review.decided"
    assert ev["data"]["decision"] == "dispatched" and ev["data"]["dispatched_to"] == "guard"
    assert ev["source"] == f"/sitewarden/{SITE}/edge-01"
    assert store.ingest(ev).status == "duplicate"
    assert len(store.audit_of(v1, ALL)) == 1


def test_review_event_travels_to_another_store(store: Store, v1: str, tmp_path: Path) -> None:
    store.decide(v1, ALICE, "false_alarm", reason="camera_problem", comment="lens fogged")
    ev = store.review_event(v1, ALL)
    assert ev is not None
    other = Store.open(f"sqlite:///{tmp_path / 'centre.db'}")
    try:
        other.ingest_many(lifecycle("v1", T0, [1, 2]))
        assert other.ingest(ev).status == "applied"
        v = other.get_violation(v1, ALL)
        assert (v.decision, v.decision_reason, v.decision_comment, v.decided_by) == (
            "false_alarm", "camera_problem", "lens fogged", "alice")
    finally:
        other.close()


def test_two_replicas_marking_overdue_at_once_mark_each_once(
    store: Store, db_url: str
) -> None:
    store.ingest_many([e for i in range(40) for e in lifecycle(f"o{i}", T0 + i, [1])])
    replicas = [Store.open(db_url), Store.open(db_url)]
    marked: list[list[str]] = [[], []]

    def run(k: int) -> None:
        while due := replicas[k].mark_overdue(T0 + 10_000, after_s=60, limit=7):
            marked[k] += [v.violation_id for v in due]

    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for r in replicas:
        r.close()
    together = marked[0] + marked[1]
    assert len(together) == len(set(together))  # nothing marked twice
    assert set(together) == {f"o{i}" for i in range(40)}
    audit_rows = sum(len(store.audit_of(f"o{i}", ALL)) for i in range(40))
    assert audit_rows == 40


def test_a_decision_logged_while_another_replica_creates_its_violation_applies(
    store: Store, db_url: str
) -> None:
    """Replica A creates the violation, not committed yet; replica B receives the box's
    decision for it meanwhile. Whichever commits first, the decision ends up applied (on
    PostgreSQL B waits for A: the id is locked before either looks)."""
    from console.store import ingest

    creating, release = threading.Event(), threading.Event()
    a, b = Store.open(db_url), Store.open(db_url)
    started = [ingest.prepare(e) for e in lifecycle("v9", T0, [1], end=False)]

    def create(tx: Any) -> None:
        ingest.apply_batch(tx, started)
        creating.set()
        release.wait(10)  # commit only after B had its chance to run

    try:
        replica_a = threading.Thread(target=a.transact, args=(create,))
        replica_a.start()
        assert creating.wait(10)
        replica_b = threading.Thread(
            target=b.ingest, args=(decided("v9", "d-9", T0 + 5, by="op-box"),))
        replica_b.start()
        replica_b.join(1.0)  # finished already without the lock, waiting with it
        release.set()
        replica_a.join(10)
        replica_b.join(10)
        v = store.get_violation("v9", ALL)
        assert (v.decision, v.decided_by, v.version) == ("confirmed", "op-box", 2)
    finally:
        release.set()
        a.close()
        b.close()
