"""Completeness per box: seen sequences as ranges, gaps, duplicates, and two ingest replicas
writing the same boxes at once."""

from __future__ import annotations

import itertools
import random
import threading
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.store import Gap, Scope, Store
from console.store.sequences import add_to_ranges, gaps
from tests.console.helpers import T0, Clock, camera, comparable, decided, lifecycle

ALL = Scope.all()
_boxes = itertools.count()


@given(st.lists(st.integers(1, 60), max_size=40))
def test_ranges_hold_exactly_the_seen_numbers(seqs: list[int]) -> None:
    ranges: list[tuple[int, int]] = []
    seen: set[int] = set()
    for s in seqs:
        ranges, new = add_to_ranges(ranges, s)
        assert new == (s not in seen)
        seen.add(s)
    assert {n for a, b in ranges for n in range(a, b + 1)} == seen
    for (_, last), (first, _) in itertools.pairwise(ranges):
        assert first > last + 1  # disjoint and never adjacent


def _event(box: str, seq: int) -> dict[str, Any]:
    ev = camera("online", T0 + seq, box=box, n=seq)
    ev["sequence"] = str(seq)
    return ev


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(1, 40), min_size=1, max_size=30), st.integers(1, 5))
def test_box_reports_last_sequence_missing_and_gaps(
    store: Store, seqs: list[int], batch: int
) -> None:
    box = f"box-{next(_boxes)}"
    events = [_event(box, s) for s in seqs]
    for i in range(0, len(events), batch):
        store.ingest_many(events[i:i + batch])
    [b] = [b for b in store.boxes(ALL) if b.box_id == box]
    seen = set(seqs)
    ranges: list[tuple[int, int]] = []
    for s in seqs:
        ranges, _ = add_to_ranges(ranges, s)
    assert b.last_sequence == max(seen)
    assert b.missing == max(seen) - min(seen) + 1 - len(seen)
    assert b.gaps == gaps(ranges)


def test_gaps_fill_in_as_late_events_arrive(store: Store) -> None:
    store.ingest_many([_event("b", s) for s in (1, 2, 3, 7, 8, 12)])
    [b] = store.boxes(ALL)
    assert (b.last_sequence, b.missing, b.gaps) == (12, 6, [Gap(4, 6), Gap(9, 11)])
    store.ingest_many([_event("b", s) for s in (5, 10, 3)])  # 3 is a duplicate
    [b] = store.boxes(ALL)
    assert (b.missing, b.gaps) == (4, [Gap(4, 4), Gap(6, 6), Gap(9, 9), Gap(11, 11)])
    store.ingest_many([_event("b", s) for s in (4, 6, 9, 11)])
    [b] = store.boxes(ALL)
    assert (b.missing, b.gaps) == (0, [])


def test_events_from_before_the_first_seen_count_from_there(store: Store) -> None:
    store.ingest_many([_event("b", s) for s in (100, 101)])
    assert store.boxes(ALL)[0].missing == 0  # the console started after the box
    store.ingest(_event("b", 97))  # a late one from before: now 98..99 are missing
    [b] = store.boxes(ALL)
    assert (b.missing, b.gaps) == (2, [Gap(98, 99)])


def _replica_stream(rnd: random.Random) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Events of two boxes (violations and camera events, all numbered), split between two
    replicas with an overlap (a $share redelivery), each in a different order."""
    events: list[dict[str, Any]] = []
    for box in ("edge-a", "edge-b"):
        box_events = []
        for v in range(20):
            box_events += lifecycle(f"{box}-v{v}", T0 + 30 * v, [1, 2, 3], box=box)
        box_events += [camera("online", T0 + i, box=box, n=i) for i in range(20)]
        for seq, ev in enumerate(box_events, start=1):
            ev["sequence"] = str(seq)
        events += box_events
    rnd.shuffle(events)
    half = len(events) // 2
    first, second = events[: half + 40], events[half - 40:]
    rnd.shuffle(first)
    rnd.shuffle(second)
    return first, second


def test_two_replicas_ingesting_at_once(store: Store, db_url: str, tmp_path: Path) -> None:
    first, second = _replica_stream(random.Random(3))
    replicas = [Store.open(db_url), Store.open(db_url)]
    errors: list[BaseException] = []
    results: list[str] = []

    def run(replica: Store, events: list[dict[str, Any]]) -> None:
        try:
            for i in range(0, len(events), 7):
                results.extend(r.status for r in replica.ingest_many(events[i:i + 7]))
        except BaseException as e:  # surfaced below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(r, evs))
               for r, evs in zip(replicas, (first, second), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    for r in replicas:
        r.close()
    assert not errors
    distinct = {e["id"] for e in first + second}
    assert results.count("applied") == len(distinct)
    assert results.count("duplicate") == len(first) + len(second) - len(distinct)
    for b in store.boxes(ALL):
        assert (b.last_sequence, b.missing, b.gaps) == (120, 0, [])
    # the same rows as one writer ingesting everything once
    with Store.open(f"sqlite:///{tmp_path / 'alone.db'}") as alone:
        alone.ingest_many(sorted({e["id"]: e for e in first + second}.values(),
                                 key=lambda e: e["time"]))
        for box in ("edge-a", "edge-b"):
            for v in range(20):
                vid = f"{box}-v{v}"
                assert comparable(store.get_violation(vid, ALL)) == comparable(
                    alone.get_violation(vid, ALL))



def test_events_the_console_does_not_use_still_count_as_received(store: Store) -> None:
    unknown = _event("b", 2)
    unknown["type"] = "sitewarden.zone.changed"  # a newer box's event type
    bad_data = _event("b", 3)
    del bad_data["data"]["camera_id"]
    no_envelope = _event("b", 5)
    del no_envelope["time"]
    results = store.ingest_many([_event("b", 1), unknown, bad_data, _event("b", 4),
                                 no_envelope, _event("b", 6)])
    assert [r.status for r in results] == [
        "applied", "ignored", "invalid", "applied", "invalid", "applied"]
    [b] = store.boxes(ALL)
    assert (b.last_sequence, b.missing, b.gaps) == (6, 1, [Gap(5, 5)])  # unreadable: lost


def test_only_a_boxs_own_events_move_its_last_seen(store: Store, clock: Clock) -> None:
    store.ingest(_event("b", 1))
    seen = store.boxes(ALL)[0].last_seen_ts
    clock.now += 100
    from_centre = decided("v1", "d-1", T0, box="b")
    from_centre["source"] = "/sitewarden-centre"
    assert store.ingest(from_centre).status == "applied"
    assert store.boxes(ALL)[0].last_seen_ts == seen
    store.ingest(_event("b", 2))
    assert store.boxes(ALL)[0].last_seen_ts == clock.now
