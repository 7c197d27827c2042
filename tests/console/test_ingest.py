"""Ingest: each event type, idempotency, malformed input, merging phases in odd orders."""

from __future__ import annotations

from typing import Any

import pytest

from console.store import Scope, Store, ViolationFilter
from tests.console.helpers import (
    BOX,
    CAMERA,
    SITE,
    T0,
    Clock,
    box_health,
    camera,
    comparable,
    decided,
    iso,
    lifecycle,
    phase,
)

ALL = Scope.all()


def test_a_lifecycle_in_order_gives_the_merged_violation(store: Store) -> None:
    events = lifecycle("v1", T0, [1, 3, 2])
    results = store.ingest_many(events)
    assert [r.status for r in results] == ["applied"] * 5
    assert {(r.kind, r.ref) for r in results} == {("violation", "v1")}
    v = store.get_violation("v1", ALL)
    assert (v.phase, v.max_count, v.last_count) == ("ended", 3, 0)
    assert v.started_at == iso(T0) and v.started_ts == T0
    assert v.ended_at == iso(T0 + 9) and v.ended_ts == T0 + 9
    assert v.evidence_ready and v.evidence["clip"] == {"url": "/evidence/v1/clip.mp4"}
    assert v.reason == ""  # the evidence announcement does not replace the reason
    assert (v.site_id, v.box_id, v.camera_id, v.zone_label) == (SITE, BOX, CAMERA, "Press Area")
    assert v.version == 5 and v.decision is None and not v.overdue
    assert [p.phase for p in store.phases("v1", ALL)] == [
        "started", "updated", "updated", "ended", "updated"]


def test_redelivered_events_change_nothing(store: Store) -> None:
    events = lifecycle("v1", T0, [1, 2])
    store.ingest_many(events)
    before = comparable(store.get_violation("v1", ALL))
    again = store.ingest_many([*events, events[0]])
    assert [r.status for r in again] == ["duplicate"] * 5
    assert comparable(store.get_violation("v1", ALL)) == before
    assert len(store.phases("v1", ALL)) == 4


def test_a_duplicate_inside_one_batch_is_applied_once(store: Store) -> None:
    ev = phase("v1", "started", T0)
    assert [r.status for r in store.ingest_many([ev, ev])] == ["applied", "duplicate"]
    assert store.get_violation("v1", ALL).version == 1


# Each case: the lifecycle [1, 3, 2] delivered in this order of its event indexes
# (0 started, 1 update count 3, 2 update count 2, 3 ended, 4 evidence_ready).
ORDERS = {
    "in order": [0, 1, 2, 3, 4],
    "ended first": [3, 0, 1, 2, 4],
    "evidence first": [4, 3, 2, 1, 0],
    "update after end": [0, 3, 4, 1, 2],
    "no started": [1, 2, 3, 4],
}


@pytest.mark.parametrize("order", ORDERS.values(), ids=ORDERS.keys())
def test_phases_merge_the_same_whatever_the_order(store: Store, order: list[int]) -> None:
    events = lifecycle("v1", T0, [1, 3, 2])
    for i in order:
        store.ingest(events[i])
    v = store.get_violation("v1", ALL)
    assert v.phase == "ended"  # an update after the end never reopens
    assert v.ended_at == iso(T0 + 9)
    assert v.max_count == 3
    assert v.last_count == 0 and v.objects == []  # the ended phase is the latest state
    assert v.evidence_ready
    assert v.version == len(order)


def test_only_evidence_announcement_arrived(store: Store) -> None:
    ev = lifecycle("v1", T0, [2])[-1]
    store.ingest(ev)
    v = store.get_violation("v1", ALL)
    assert (v.phase, v.evidence_ready, v.reason, v.max_count) == (
        "ended", True, "evidence_ready", 2)


def test_ready_evidence_is_never_replaced_by_a_later_unready_one(store: Store) -> None:
    store.ingest(phase("v1", "updated", T0 + 30, started_s=T0, reason="evidence_ready",
                       ready=True, n=5))
    store.ingest(phase("v1", "updated", T0 + 40, started_s=T0, n=6))
    assert store.get_violation("v1", ALL).evidence_ready


def test_open_violation(store: Store) -> None:
    store.ingest_many(lifecycle("v1", T0, [1, 2], end=False))
    v = store.get_violation("v1", ALL)
    assert (v.phase, v.ended_at, v.last_count, len(v.objects)) == ("updated", None, 2, 2)


def _mutate(ev: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target = ev
    *parents, leaf = path.split(".")
    for p in parents:
        target = target[p]
    if value is _DELETE:
        target.pop(leaf)
    else:
        target[leaf] = value
    return ev


_DELETE = object()
BAD = {
    "no id": ("id", _DELETE, "missing event id"),
    "foreign type": ("type", "com.example.thing", "not a sitewarden event type"),
    "bad time": ("time", "yesterday", "time: not an ISO 8601"),
    "no data": ("data", _DELETE, "missing event data"),
    "bad phase": ("data.phase", "paused", "violation data: phase"),
    "missing count": ("data.count", _DELETE, "violation data: count"),
    "bad started_at": ("data.started_at", "soon", "started_at: not an ISO 8601"),
    "bad sequence": ("sequence", "12a", "sequence is not a decimal number"),
    "source of another box": ("source", "/sitewarden/plant-7/edge-99", "does not match"),
}


@pytest.mark.parametrize(("path", "value", "error"), BAD.values(), ids=BAD.keys())
def test_malformed_events_are_reported_not_applied(
    store: Store, path: str, value: Any, error: str
) -> None:
    bad = _mutate(phase("v1", "started", T0), path, value)
    good = phase("v2", "started", T0)
    bad_result, good_result = store.ingest_many([bad, good])
    assert bad_result.status == "invalid" and error in (bad_result.error or "")
    assert good_result.status == "applied"  # one bad message never blocks a batch
    assert [v.violation_id for v in store.list_violations(ViolationFilter(), ALL).items] == ["v2"]


def test_events_that_are_not_objects_are_invalid(store: Store) -> None:
    [r] = store.ingest_many(["not an event"])  # type: ignore[list-item]
    assert (r.status, r.error) == ("invalid", "an event is a JSON object")


def test_events_about_another_boxs_violation_are_refused(store: Store) -> None:
    store.ingest(phase("v1", "started", T0))
    intruder = phase("v1", "ended", T0 + 9, ended_s=T0 + 9, site="plant-9", box="edge-66")
    r = store.ingest(intruder)
    assert r.status == "invalid" and "belongs to plant-7/edge-01" in (r.error or "")
    r = store.ingest(decided("v1", "d-1", T0 + 100, site="plant-9", box="edge-66"))
    assert r.status == "invalid"
    v = store.get_violation("v1", ALL)
    assert (v.site_id, v.phase, v.decision, v.version) == ("plant-7", "started", None, 1)
    assert store.audit_of("v1", ALL) == []


def test_decisions_of_another_site_never_apply_to_a_later_violation(store: Store) -> None:
    store.ingest(decided("v1", "d-1", T0 + 100, site="plant-9", box="edge-66"))
    store.ingest(phase("v1", "started", T0))
    v = store.get_violation("v1", ALL)
    assert (v.decision, v.version) == (None, 1)
    assert store.audit_of("v1", ALL) == []


def test_unknown_sitewarden_types_are_ignored(store: Store) -> None:
    ev = phase("v1", "started", T0)
    ev["type"] = "sitewarden.stats.minute"
    assert store.ingest(ev).status == "ignored"


def test_camera_events_keep_the_latest_state(store: Store) -> None:
    cam = f"{SITE}/{BOX}/{CAMERA}"
    r = store.ingest(camera("offline", T0, reason="no frame for 10 s"))
    assert (r.status, r.kind, r.ref) == ("applied", "camera", cam)
    store.ingest(camera("online", T0 + 60, fps=5.0))
    store.ingest(camera("tampered", T0 + 30))  # late, older: does not win
    [c] = store.cameras(ALL)
    assert (c.state, c.since, c.detail) == ("online", iso(T0 + 60), {"fps": 5.0})
    store.ingest(camera("online", T0 + 90, fps=4.0))
    [c] = store.cameras(ALL)
    assert c.since == iso(T0 + 60) and c.detail == {"fps": 4.0}  # same state: since stays


def test_cameras_seen_only_in_violations_are_listed_as_unknown(store: Store) -> None:
    store.ingest(phase("v1", "started", T0, camera="dock"))
    assert [(c.camera_id, c.state) for c in store.cameras(ALL)] == [("dock", "unknown")]


def test_box_health_events(store: Store) -> None:
    store.ingest(box_health("degraded", T0, part="evidence_storage", reason="disk_full"))
    [b] = store.boxes(ALL)
    assert (b.health, b.health_since) == ("degraded", iso(T0))
    assert b.health_detail == {"part": "evidence_storage", "reason": "disk_full"}
    store.ingest(box_health("ok", T0 + 100, part="evidence_storage"))
    assert store.boxes(ALL)[0].health == "ok"


def test_retained_box_status(store: Store, clock: Clock) -> None:
    status = {"state": "online", "site_id": SITE, "box_id": BOX, "time": iso(T0),
              "alarms": [], "software_version": "0.1.0", "model": "yolox_nano",
              "config_version": "abc123", "publisher": {"outbox_depth": 12}}
    assert store.record_box_status(SITE, BOX, status)
    [b] = store.boxes(ALL)
    assert (b.state, b.since, b.last_seen_ts) == ("online", iso(T0), clock.now)
    assert (b.software_version, b.model, b.config_version, b.outbox_backlog) == (
        "0.1.0", "yolox_nano", "abc123", 12)
    assert store.record_box_status(SITE, BOX, {**status, "time": iso(T0 + 5)})
    assert store.boxes(ALL)[0].since == iso(T0)  # still online since T0
    assert not store.record_box_status(SITE, BOX, {**status, "time": iso(T0 - 5)})
    clock.now += 10
    will = {"state": "offline", "site_id": SITE, "box_id": BOX, "reason": "connection_lost"}
    assert store.record_box_status(SITE, BOX, will)  # the Last Will has no time
    [b] = store.boxes(ALL)
    assert (b.state, b.since_ts, b.status["reason"]) == ("offline", clock.now,
                                                          "connection_lost")


def test_retained_camera_status(store: Store) -> None:
    assert store.record_camera_status({
        "site_id": SITE, "box_id": BOX, "camera_id": CAMERA, "state": "online",
        "time": iso(T0), "detail": {"fps": 5.0}})
    [c] = store.cameras(ALL)
    assert (c.state, c.since, c.detail) == ("online", iso(T0), {"fps": 5.0})


def test_decision_event_applies_and_is_logged_once(store: Store) -> None:
    store.ingest_many(lifecycle("v1", T0, [1]))
    ev = decided("v1", "d-1", T0 + 100, "false_alarm", reason="outside_zone")
    assert store.ingest(ev).status == "applied"
    assert store.ingest(ev).status == "duplicate"
    v = store.get_violation("v1", ALL)
    assert (v.decision, v.decision_reason, v.decided_by, v.decided_at) == (
        "false_alarm", "outside_zone", "op-box", iso(T0 + 100))
    [entry] = store.audit_of("v1", ALL)
    assert (entry.action, entry.actor, entry.event_id, entry.at) == (
        "decide", "op-box", "d-1", iso(T0 + 100))


def test_an_older_decision_event_is_logged_but_does_not_win(store: Store) -> None:
    store.ingest_many(lifecycle("v1", T0, [1]))
    store.ingest(decided("v1", "d-2", T0 + 200, "confirmed"))
    store.ingest(decided("v1", "d-1", T0 + 100, "false_alarm", reason="other"))
    assert store.get_violation("v1", ALL).decision == "confirmed"
    assert len(store.audit_of("v1", ALL)) == 2


def test_a_decision_before_its_violation_applies_when_it_arrives(store: Store) -> None:
    store.ingest(decided("v1", "d-1", T0 + 100, "dispatched", dispatched_to="guard"))
    store.ingest(decided("v1", "d-0", T0 + 50, "confirmed"))
    store.ingest_many(lifecycle("v1", T0, [1]))
    v = store.get_violation("v1", ALL)
    assert (v.decision, v.dispatched_to, v.decision_event_id) == ("dispatched", "guard", "d-1")


def test_a_reopen_event_clears_the_decision(store: Store) -> None:
    store.ingest_many(lifecycle("v1", T0, [1]))
    store.ingest(decided("v1", "d-1", T0 + 100, "confirmed"))
    store.ingest(decided("v1", "d-2", T0 + 200, None, action="reopened", comment="again"))
    v = store.get_violation("v1", ALL)
    assert v.decision is None and v.decided_by is None
    assert [a.action for a in store.audit_of("v1", ALL)] == ["decide", "reopen"]


def test_decided_without_a_decision_is_invalid(store: Store) -> None:
    r = store.ingest(decided("v1", "d-1", T0, None))
    assert r.status == "invalid" and "needs a decision" in (r.error or "")


def test_pruned_event_ids_do_not_double_count(store: Store, clock: Clock) -> None:
    events = lifecycle("v1", T0, [1, 2])
    store.ingest_many([*events, decided("v1", "d-1", T0 + 100)])
    before = comparable(store.get_violation("v1", ALL))
    assert store.prune_events_seen(clock.now + 1) == 5
    store.ingest_many([*events, decided("v1", "d-1", T0 + 100)])
    assert comparable(store.get_violation("v1", ALL)) == before
    assert len(store.audit_of("v1", ALL)) == 1
