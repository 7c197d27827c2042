"""The change feed: each committed write announces what it changed, in this process and (on
PostgreSQL) in every replica; nothing is announced for a rolled-back write."""

from __future__ import annotations

import pytest

from console.roles import Role
from console.store import Actor, Change, Conflict, Scope, Store, Subscription
from console.store.changes import ChangeHub
from tests.console.helpers import BOX, CAMERA, SITE, T0, camera, lifecycle, phase

ALL = Scope.all()
OP = Actor("op", Role.OPERATOR, ALL)


def _drain(sub: Subscription, want: int, timeout_s: float = 10.0) -> list[Change]:
    got: list[Change] = []
    while len(got) < want:
        c = sub.get(timeout_s)
        if c is None:
            break
        got.append(c)
    return got


def test_writes_announce_what_they_changed(store: Store) -> None:
    with store.subscribe() as sub:
        store.ingest_many(lifecycle("v1", T0, [1, 2]))
        store.ingest(camera("offline", T0))
        store.record_box_status(SITE, BOX, {"state": "online"})
        store.claim("v1", OP)
        got = _drain(sub, 5)
    assert got == [
        Change("violation", "v1", SITE), Change("camera", f"{SITE}/{BOX}/{CAMERA}", SITE),
        Change("camera", f"{SITE}/{BOX}/{CAMERA}", SITE), Change("box", f"{SITE}/{BOX}", SITE),
        Change("violation", "v1", SITE),
    ]


def test_duplicates_and_failed_writes_announce_nothing(store: Store) -> None:
    ev = phase("v1", "started", T0)
    store.ingest(ev)
    store.claim("v1", OP)
    with store.subscribe() as sub:
        store.ingest(ev)
        with pytest.raises(Conflict):
            store.claim("v1", Actor("other", Role.OPERATOR, ALL))
        store.comment("v1", OP, "marker")
        assert _drain(sub, 1) == [Change("violation", "v1", SITE)]
        assert sub.get(0.3) is None


def test_replicas_hear_each_others_changes_on_postgresql(pg_url: str) -> None:
    with Store.open(pg_url) as one, Store.open(pg_url) as two, \
            one.subscribe() as sub_one, two.subscribe() as sub_two:
        one.ingest(phase("v1", "started", T0))
        two.claim("v1", OP)
        expected = [Change("violation", "v1", SITE), Change("camera", f"{SITE}/{BOX}/{CAMERA}",
                                                           SITE),
                    Change("violation", "v1", SITE)]
        assert _drain(sub_one, 3) == expected
        assert _drain(sub_two, 3) == expected


def test_a_full_subscription_drops_the_oldest_and_asks_for_a_resync() -> None:
    hub = ChangeHub()
    sub = hub.subscribe(max_queue=2)
    hub.publish([Change("violation", str(i), "s") for i in range(5)])
    assert [c.kind for c in _drain(sub, 3, 0.1)] == ["resync", "violation", "violation"]
    assert [c.id for c in _drain(sub, 1, 0.1)] == []
    sub.close()
    assert sub.get(0.1) is None and sub.closed
