"""Two sites: a user scoped to one never reads or writes the other's rows, even by id."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from console.roles import Role
from console.store import (
    Actor,
    NotFound,
    Scope,
    Store,
    ViolationFilter,
)
from tests.console.helpers import T0, camera, comparable, lifecycle

ALL = Scope.all()
SEVEN = Scope.of(["plant-7"])
ALICE7 = Actor("alice", Role.OPERATOR, SEVEN)
ADMIN7 = Actor("root7", Role.ADMIN, SEVEN)  # an admin too is held to its scope


@pytest.fixture
def two_sites(store: Store) -> Store:
    store.ingest_many(lifecycle("p7-v1", T0, [1], site="plant-7", box="b7"))
    store.ingest_many(lifecycle("p9-v1", T0 + 5, [2], site="plant-9", box="b9"))
    store.ingest(camera("offline", T0, site="plant-9", box="b9", camera_id="cam9"))
    store.record_box_status("plant-9", "b9", {"state": "online"})
    return store


READS: dict[str, Callable[[Store, str, Scope], Any]] = {
    "get": lambda s, vid, sc: s.get_violation(vid, sc),
    "phases": lambda s, vid, sc: s.phases(vid, sc),
    "audit": lambda s, vid, sc: s.audit_of(vid, sc),
    "neighbours": lambda s, vid, sc: s.neighbours(vid, sc),
    "review event": lambda s, vid, sc: s.review_event(vid, sc),
}
WRITES: dict[str, Callable[[Store, str, Actor], Any]] = {
    "claim": lambda s, vid, a: s.claim(vid, a),
    "claim forced": lambda s, vid, a: s.claim(vid, a, force=True),
    "release": lambda s, vid, a: s.release(vid, a),
    "decide": lambda s, vid, a: s.decide(vid, a, "confirmed"),
    "reopen": lambda s, vid, a: s.reopen(vid, a, "because"),
    "comment": lambda s, vid, a: s.comment(vid, a, "hello"),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_reads_by_id_outside_the_scope_look_like_missing_rows(
    two_sites: Store, read: Callable[[Store, str, Scope], Any]
) -> None:
    read(two_sites, "p7-v1", SEVEN)  # inside: fine
    with pytest.raises(NotFound, match="p9-v1"):
        read(two_sites, "p9-v1", SEVEN)
    with pytest.raises(NotFound):
        read(two_sites, "p7-v1", Scope.of([]))  # no sites: nothing at all


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
@pytest.mark.parametrize("actor", [ALICE7, ADMIN7], ids=["operator", "admin"])
def test_writes_by_id_outside_the_scope_change_nothing(
    two_sites: Store, write: Callable[[Store, str, Actor], Any], actor: Actor
) -> None:
    admin = Actor("root", Role.ADMIN, ALL)
    two_sites.claim("p9-v1", admin)
    if write is WRITES["reopen"]:
        two_sites.decide("p9-v1", admin, "confirmed")
    before = comparable(two_sites.get_violation("p9-v1", ALL))
    audit_before = len(two_sites.audit_of("p9-v1", ALL))
    with pytest.raises(NotFound):
        write(two_sites, "p9-v1", actor)
    assert comparable(two_sites.get_violation("p9-v1", ALL)) == before
    assert len(two_sites.audit_of("p9-v1", ALL)) == audit_before


def test_lists_and_aggregates_stay_inside_the_scope(two_sites: Store) -> None:
    s = two_sites
    assert [v.site_id for v in s.list_violations(ViolationFilter(), SEVEN).items] == ["plant-7"]
    assert s.list_violations(ViolationFilter(site_id="plant-9"), SEVEN).items == []
    assert {c.site_id for c in s.counts_unhandled(SEVEN)} == {"plant-7"}
    assert {c.site_id for c in s.cameras(SEVEN)} == {"plant-7"}
    assert {b.site_id for b in s.boxes(SEVEN)} == {"plant-7"}
    stats = s.stats(SEVEN, T0 - 10, T0 + 100, "UTC")
    assert {d.site_id for d in stats.per_day} == {"plant-7"}
    assert {c.site_id for c in s.cameras(ALL)} == {"plant-7", "plant-9"}
    assert s.list_violations(ViolationFilter(), Scope.of([])).items == []


def test_overdue_marking_can_be_scoped(two_sites: Store) -> None:
    due = two_sites.mark_overdue(T0 + 10_000, after_s=60, scope=SEVEN)
    assert [v.violation_id for v in due] == ["p7-v1"]
    assert not two_sites.get_violation("p9-v1", ALL).overdue
