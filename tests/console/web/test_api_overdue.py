"""Escalation: the watcher marks and emits each overdue violation once; the store accepts
the boxes' overdue events (a centre), idempotently and in any arrival order."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from console.roles import Role
from console.settings import HttpConfig, ReviewConfig
from console.store import Actor, Scope, Store, ViolationFilter
from console.web.overdue import OverdueWatcher
from publisher.events import Event, OverdueData, overdue_event
from tests.console.helpers import BOX, SITE, T0, Clock, comparable, iso, lifecycle, phase
from tests.console.web.apikit import OTHER_SITE, make_context

ALL = Scope.all()
OP = Actor("op", Role.OPERATOR, ALL)


def _watcher(store: Store, tmp_path: Path, emitted: list[Event], **review: Any
             ) -> OverdueWatcher:
    http = HttpConfig(review=ReviewConfig(**{"overdue_after_s": 600, **review}))
    return OverdueWatcher(make_context(store, tmp_path, http=http, emit=emitted.append))


def _overdue(vid: str, at_s: float, *, site: str = SITE, box: str = BOX) -> dict[str, Any]:
    """The box's overdue event, as its watcher emits it."""
    return overdue_event(OverdueData(
        violation_id=vid, site_id=site, box_id=box, camera_id="gate-north",
        zone_id="press-area", kind="danger_zone", started_at=iso(T0), overdue_at=iso(at_s),
        after_s=600)).to_wire()


def test_the_watcher_marks_and_emits_each_once(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    store.ingest_many([*lifecycle("v1", T0, [1]), *lifecycle("v2", T0 + 500, [1]),
                       *lifecycle("v3", T0 + 100, [1])])
    store.decide("v3", OP, "confirmed")  # handled: never overdue
    emitted: list[Event] = []
    w = _watcher(store, tmp_path, emitted)
    clock.now = T0 + 700
    with store.subscribe() as sub:
        assert [v.violation_id for v in w.check()] == ["v1"]
        change = sub.get(5)
    assert change is not None and (change.kind, change.id) == ("violation", "v1")
    [ev] = emitted
    assert ev.type == "sitewarden.violation.overdue" and ev.subject == "gate-north/press-area"
    assert isinstance(ev.data, OverdueData)
    assert (ev.data.violation_id, ev.data.site_id, ev.data.box_id, ev.data.after_s) == (
        "v1", SITE, BOX, 600)
    assert w.check() == [] and len(emitted) == 1  # once, ever
    clock.now = T0 + 1200
    assert [v.violation_id for v in w.check()] == ["v2"] and len(emitted) == 2
    # the box's dispatcher hands its own events to its store too: known already
    assert store.ingest(emitted[0].to_wire()).status == "duplicate"
    [entry] = [a for a in store.audit_of("v1", ALL) if a.action == "overdue"]
    assert entry.event_id == emitted[0].id and entry.actor == "system"
    page = store.list_violations(ViolationFilter(overdue=True), ALL)
    assert [v.violation_id for v in page.items] == ["v2", "v1"]


def test_the_watcher_thread_runs_and_stops(store: Store, clock: Clock, tmp_path: Path) -> None:
    store.ingest_many(lifecycle("v1", T0, [1]))
    emitted: list[Event] = []
    w = _watcher(store, tmp_path, emitted, overdue_check_s=0.05)
    clock.now = T0 + 3600
    w.start()
    deadline = time.monotonic() + 5
    while not emitted and time.monotonic() < deadline:
        time.sleep(0.02)
    t0 = time.monotonic()
    w.stop()
    assert time.monotonic() - t0 < 1.0
    assert [e.data.violation_id for e in emitted] == ["v1"] and w.marked == 1


def test_the_store_accepts_a_box_overdue_event(store: Store) -> None:
    store.ingest_many(lifecycle("v1", T0, [1]))
    before = store.get_violation("v1", ALL)
    r = store.ingest(_overdue("v1", T0 + 900))
    assert (r.status, r.kind, r.ref) == ("applied", "overdue", "v1")
    v = store.get_violation("v1", ALL)
    assert (v.overdue, v.overdue_ts, v.overdue_at) == (True, T0 + 900, iso(T0 + 900))
    assert v.version == before.version + 1 and v.decision is None
    [entry] = [a for a in store.audit_of("v1", ALL) if a.action == "overdue"]
    assert entry.detail["source"] == f"/sitewarden/{SITE}/{BOX}" and entry.ts == T0 + 900
    assert store.ingest(_overdue("v1", T0 + 900)).status == "duplicate"
    assert store.get_violation("v1", ALL).version == v.version


def test_overdue_events_in_any_order_give_the_same_violation(
    store: Store, tmp_path: Path
) -> None:
    events = [*lifecycle("v1", T0, [1, 2]), _overdue("v1", T0 + 900)]
    reference = None
    for i, order in enumerate(itertools.permutations(events)):
        if i % 7:  # 120 orders; every 7th keeps the test quick and still mixes them all
            continue
        other = Store.open(f"sqlite:///{tmp_path / f'o{i}.db'}")
        try:
            for e in order:
                other.ingest(e)
            got = comparable(other.get_violation("v1", ALL))
        finally:
            other.close()
        reference = reference or got
        assert got == reference, order
    assert reference is not None and reference["overdue"] is True
    # the store under test (both backends): overdue before its violation
    store.ingest(events[-1])
    store.ingest_many(events[:-1])
    assert comparable(store.get_violation("v1", ALL)) == reference


def test_a_centre_that_marked_first_ignores_the_box_event(store: Store) -> None:
    store.ingest_many(lifecycle("v1", T0, [1]))
    [v] = store.mark_overdue(T0 + 1000, after_s=600)
    assert store.ingest(_overdue("v1", T0 + 900)).status == "duplicate"
    assert store.get_violation("v1", ALL).overdue_ts == v.overdue_ts


def test_bad_overdue_events_are_refused(store: Store) -> None:
    store.ingest_many(lifecycle("v1", T0, [1]))
    wrong_site = _overdue("v1", T0 + 900, site=OTHER_SITE)
    r = store.ingest(wrong_site)
    assert r.status == "invalid" and "belongs to" in (r.error or "")
    lying = _overdue("v1", T0 + 900)
    lying["source"] = f"/sitewarden/{SITE}/edge-99"
    lying["id"] = "other-id"
    assert store.ingest(lying).status == "invalid"
    broken = _overdue("v1", T0 + 900)
    broken["id"] = "broken"
    del broken["data"]["overdue_at"]
    r = store.ingest(broken)
    assert r.status == "invalid" and "overdue_at" in (r.error or "")
    assert store.get_violation("v1", ALL).overdue is False


def test_the_box_own_events_coming_back_leave_no_sequence_gap(
    store: Store, clock: Clock, tmp_path: Path
) -> None:
    """On a box every emitted event also reaches its own store, numbered: a decision or an
    overdue mark made there comes back as a duplicate, and its number must still count."""
    store.ingest(phase("v1", "started", T0, sequence=1))
    store.decide("v1", OP, "confirmed")
    decided = store.review_event("v1", ALL)
    assert decided is not None
    assert store.ingest({**decided, "sequence": "2"}).status == "duplicate"
    emitted: list[Event] = []
    store.ingest(phase("v2", "started", T0 + 1, sequence=3))
    clock.now = T0 + 3600
    _watcher(store, tmp_path, emitted).check()
    assert store.ingest({**emitted[0].to_wire(), "sequence": "4"}).status == "duplicate"
    store.ingest(phase("v3", "started", T0 + 2, sequence=5))
    [box] = store.boxes(ALL)
    assert (box.last_sequence, box.missing, box.gaps) == (5, 0, [])
