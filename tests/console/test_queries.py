"""Reads: keyset pages under filters, neighbours, unhandled counts, statistics."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

import pytest

from console.roles import Role
from console.store import (
    Actor,
    InvalidInput,
    Scope,
    Store,
    Violation,
    ViolationFilter,
)
from tests.console.helpers import T0, decided, phase

ALL = Scope.all()
OP = Actor("op", Role.OPERATOR, ALL)


@dataclass(frozen=True)
class Row:
    vid: str
    site: str
    camera: str
    zone: str
    kind: str
    started_ts: float
    decision: str | None


def _populate(store: Store, n: int = 240, seed: int = 7) -> list[Row]:
    rnd = random.Random(seed)
    rows, events = [], []
    for i in range(n):
        r = Row(
            vid=f"v{i:04d}", site=rnd.choice(["plant-7", "plant-9"]),
            camera=rnd.choice(["gate", "dock", "press"]), zone=rnd.choice(["z1", "z2"]),
            kind=rnd.choice(["danger_zone", "duty_post"]),
            # whole minutes over a few hours: many violations share a start (ties)
            started_ts=T0 + 60 * rnd.randrange(180),
            decision=rnd.choice([None, None, "confirmed", "false_alarm"]),
        )
        rows.append(r)
        events.append(phase(r.vid, "started", r.started_ts, site=r.site, box="edge-01",
                            camera=r.camera, zone=r.zone, kind=r.kind))
        if r.decision:
            events.append(decided(r.vid, f"d-{r.vid}", r.started_ts + 5, r.decision,
                                  site=r.site, box="edge-01",
                                  reason="other" if r.decision == "false_alarm" else None))
    store.ingest_many(events)
    return rows


def _expected(rows: list[Row], f: ViolationFilter, scope: Scope) -> list[str]:
    def keep(r: Row) -> bool:
        checks = [
            scope.allows(r.site), f.site_id in (None, r.site), f.camera_id in (None, r.camera),
            f.zone_id in (None, r.zone), f.kind in (None, r.kind),
            f.decision is None or (f.decision == "unhandled" and r.decision is None)
            or f.decision == r.decision,
            f.since_ts is None or r.started_ts >= f.since_ts,
            f.until_ts is None or r.started_ts < f.until_ts,
        ]
        return all(checks)
    chosen = sorted((r for r in rows if keep(r)), key=lambda r: (r.started_ts, r.vid),
                    reverse=True)
    return [r.vid for r in chosen]


def _walk(store: Store, f: ViolationFilter, scope: Scope, limit: int) -> list[Violation]:
    out: list[Violation] = []
    cursor = None
    while True:
        page = store.list_violations(f, scope, limit=limit, cursor=cursor)
        assert len(page.items) <= limit
        out += page.items
        if page.next_cursor is None:
            return out
        cursor = page.next_cursor


FILTERS = {
    "none": ViolationFilter(),
    "camera": ViolationFilter(camera_id="dock"),
    "zone+kind": ViolationFilter(zone_id="z2", kind="duty_post"),
    "unhandled": ViolationFilter(decision="unhandled"),
    "false alarms": ViolationFilter(decision="false_alarm"),
    "site+camera": ViolationFilter(site_id="plant-9", camera_id="gate"),
    "period": ViolationFilter(since_ts=T0 + 3600, until_ts=T0 + 7200),
    "unhandled in period on a camera": ViolationFilter(
        camera_id="press", decision="unhandled", since_ts=T0 + 1800),
    "nothing matches": ViolationFilter(camera_id="nope"),
}


def test_keyset_pages_neither_repeat_nor_miss(store: Store) -> None:
    rows = _populate(store)
    for name, f in FILTERS.items():
        for scope in (ALL, Scope.of(["plant-7"])):
            for limit in (1, 7, 500):
                got = [v.violation_id for v in _walk(store, f, scope, limit)]
                assert got == _expected(rows, f, scope), (name, scope, limit)


def test_pages_stay_consistent_while_rows_arrive_and_get_decided(store: Store) -> None:
    rows = _populate(store, n=60)
    f = ViolationFilter(decision="unhandled")
    expected = _expected(rows, f, ALL)
    page = store.list_violations(f, ALL, limit=10)
    seen = [v.violation_id for v in page.items]
    # meanwhile: newer violations arrive, one already listed gets decided
    store.ingest_many([phase(f"new{i}", "started", T0 + 99_999 + i) for i in range(5)])
    store.decide(seen[0], OP, "confirmed")
    cursor = page.next_cursor
    while cursor is not None:
        page = store.list_violations(f, ALL, limit=10, cursor=cursor)
        seen += [v.violation_id for v in page.items]
        cursor = page.next_cursor
    assert seen == expected


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"cursor": "garbage!"}, "cursor"),
    ({"filters": ViolationFilter(decision="maybe")}, "decision"),
])
def test_bad_list_arguments(store: Store, kwargs: dict[str, object], error: str) -> None:
    args: dict[str, object] = {"filters": ViolationFilter(), "scope": ALL, **kwargs}
    with pytest.raises(InvalidInput, match=error):
        store.list_violations(**args)  # type: ignore[arg-type]


def test_neighbours_are_the_same_cameras_violations_around_it(store: Store) -> None:
    events = [phase(f"g{i}", "started", T0 + 60 * i, camera="gate") for i in range(6)]
    events += [phase(f"d{i}", "started", T0 + 60 * i + 1, camera="dock") for i in range(6)]
    events.append(phase("g3b", "started", T0 + 180, camera="gate"))  # same start as g3
    store.ingest_many(events)
    n = store.neighbours("g3", ALL, n=2)
    assert [v.violation_id for v in n.before] == ["g2", "g1"]
    assert [v.violation_id for v in n.after] == ["g3b", "g4"]
    edge = store.neighbours("g0", ALL, n=3)
    assert edge.before == [] and [v.violation_id for v in edge.after] == ["g1", "g2", "g3"]


def test_counts_unhandled(store: Store) -> None:
    rows = _populate(store, n=80)
    counts = store.counts_unhandled(ALL)
    expected: dict[tuple[str, str, str, str], int] = {}
    for r in rows:
        if r.decision is None:
            key = (r.site, r.camera, r.zone, r.kind)
            expected[key] = expected.get(key, 0) + 1
    assert {(c.site_id, c.camera_id, c.zone_id, c.kind): c.count for c in counts} == expected


def test_stats_per_local_day_and_false_alarm_rates(store: Store) -> None:
    # Europe/Berlin, across the spring DST change (2026-03-29 02:00 CET -> 03:00 CEST)
    night = 1_774_742_400.0  # 2026-03-29T00:00:00Z = 01:00 local (CET)
    times = {
        "a": night - 3 * 3600,   # 2026-03-28 22:00 CET -> day 28
        "b": night - 30 * 60,    # 2026-03-29 00:30 CET -> day 29
        "c": night + 22 * 3600 - 60,  # 2026-03-29 23:59 CEST (21:59Z) -> day 29
        "d": night + 22 * 3600 + 60,  # 2026-03-30 00:01 CEST -> day 30
    }
    store.ingest_many([phase(v, "started", t, zone="z1") for v, t in times.items()])
    store.ingest(phase("e", "started", times["b"], zone="z2", camera="dock"))
    store.decide("a", OP, "false_alarm", reason="not_a_person")
    store.decide("b", OP, "confirmed")
    store.decide("e", OP, "false_alarm", reason="other")
    s = store.stats(ALL, night - 86400, night + 2 * 86400, "Europe/Berlin")
    per_day = {(d.day, d.zone_id): d.count for d in s.per_day}
    assert per_day == {(date(2026, 3, 28), "z1"): 1, (date(2026, 3, 29), "z1"): 2,
                       (date(2026, 3, 30), "z1"): 1, (date(2026, 3, 29), "z2"): 1}
    by_zone = {(z.camera_id, z.zone_id): (z.decided, z.false_alarms, z.rate)
               for z in s.false_alarms_by_zone}
    assert by_zone == {("gate-north", "z1"): (2, 1, 0.5), ("dock", "z2"): (1, 1, 1.0)}
    by_cam = {c.camera_id: c.rate for c in s.false_alarms_by_camera}
    assert by_cam == {"gate-north": 0.5, "dock": 1.0}
    with pytest.raises(InvalidInput, match="time zone"):
        store.stats(ALL, night, night + 1, "Mars/Olympus")
