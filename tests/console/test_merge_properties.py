"""Properties: any arrival order, any duplicates, any batching of the same events gives the
same violation row, the same audit entries and the same sequence summary."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.store import Scope, Store
from console.store.merge import contribution, join, merge
from console.store.wire import PhaseIn, parse
from tests.console.helpers import T0, comparable, decided, lifecycle, phase

ALL = Scope.all()
_runs = itertools.count()

# ------------------------------------------------------------------ the pure join


@st.composite
def phases(draw: st.DrawFn, min_size: int = 1) -> list[PhaseIn]:
    """Arbitrary phases of one violation (distinct event ids), including contradictory ones:
    ties in time, several ended phases, unready evidence after ready."""
    n = draw(st.integers(min_size, 7))
    out = []
    for i in range(n):
        ph = draw(st.sampled_from(["started", "updated", "ended"]))
        t = T0 + draw(st.integers(0, 5))  # few distinct times: many ties
        ended = t if ph == "ended" or (draw(st.booleans()) and ph == "updated") else None
        reason = "evidence_ready" if ph == "updated" and draw(st.booleans()) else ""
        ev = phase("v", ph, float(t), n=i, started_s=T0 - draw(st.integers(0, 2)),
                   ended_s=ended, count=draw(st.integers(0, 4)), reason=reason,
                   ready=draw(st.booleans()))
        p = parse(ev)
        assert isinstance(p, PhaseIn)
        out.append(p)
    return out


@given(phases(), st.randoms())
def test_join_is_independent_of_order(ps: list[PhaseIn], rnd: Any) -> None:
    shuffled = list(ps)
    rnd.shuffle(shuffled)
    a = b = None
    for p in ps:
        a = merge(a, p)
    for p in shuffled:
        b = merge(b, p)
    assert a == b


@given(phases(min_size=3))
def test_join_is_associative_and_commutative(ps: list[PhaseIn]) -> None:
    a, b, c = (contribution(p) for p in ps[:3])
    assert join(a, b) == join(b, a)
    assert join(join(a, b), c) == join(a, join(b, c))


@given(phases())
def test_ready_evidence_and_the_end_are_never_lost(ps: list[PhaseIn]) -> None:
    m = None
    for p in ps:
        m = merge(m, p)
    assert m is not None
    assert m.evidence_ready == any(p.data.evidence.ready for p in ps)
    assert (m.phase == "ended") == any(p.data.ended_at is not None for p in ps)
    assert m.max_count == max(max(p.data.count, p.data.max_count) for p in ps)
    if any(p.data.phase == "ended" for p in ps):
        ended = [p for p in ps if p.data.phase == "ended"]
        assert m.ended_at in {p.data.ended_at for p in ended}


# ------------------------------------------------------------------ through the store


@dataclass(frozen=True)
class Scenario:
    counts: list[int]
    end: bool
    evidence: bool
    decisions: list[tuple[int, str]]  # (seconds after T0 + 100, decision)
    order: list[int]
    duplicates: list[int]
    batch_sizes: list[int]

    def events(self, run: int) -> list[dict[str, Any]]:
        box, vid = f"box-{run}", f"v-{run}"
        evs = lifecycle(vid, T0, self.counts, end=self.end, evidence=self.evidence, box=box)
        for i, (dt, d) in enumerate(self.decisions):
            evs.append(decided(vid, f"{vid}-d{i}", T0 + 100 + dt, d, box=box,
                               reason="other" if d == "false_alarm" else None))
        for seq, ev in enumerate(evs, start=1):
            ev["sequence"] = str(seq)
        return evs

    def delivery(self, run: int) -> list[list[dict[str, Any]]]:
        """The events in the scenario's order, with its duplicates, cut into batches."""
        evs = self.events(run)
        stream = [evs[i] for i in self.order] + [evs[i % len(evs)] for i in self.duplicates]
        batches: list[list[dict[str, Any]]] = []
        i = 0
        for size in itertools.cycle(self.batch_sizes):
            if i >= len(stream):
                return batches
            batches.append(stream[i:i + size])
            i += size
        raise AssertionError


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    counts = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    end = draw(st.booleans())
    evidence = end and draw(st.booleans())
    decisions = draw(st.lists(
        st.tuples(st.integers(0, 3), st.sampled_from(["confirmed", "false_alarm", "follow_up"])),
        max_size=3))
    n = len(counts) + int(end) + int(evidence) + len(decisions)
    return Scenario(
        counts=counts, end=end, evidence=evidence, decisions=decisions,
        order=draw(st.permutations(range(n))),
        duplicates=draw(st.lists(st.integers(0, n - 1), max_size=3)),
        batch_sizes=draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)),
    )


def _outcome(store: Store, run: int) -> str:
    """Everything the run left in the store, with its run-specific ids masked."""
    vid = f"v-{run}"
    [box] = [b for b in store.boxes(ALL) if b.box_id == f"box-{run}"]
    state = {
        "violation": comparable(store.get_violation(vid, ALL)),
        "phases": sorted((p.phase, p.event_time, p.count, p.reason)
                         for p in store.phases(vid, ALL)),
        "audit": [(a.action, a.actor, a.detail, a.event_id)
                  for a in sorted(store.audit_of(vid, ALL), key=lambda a: a.event_id or "")],
        "box": (box.last_sequence, box.missing, box.gaps),
    }
    return json.dumps(state, sort_keys=True, default=str).replace(vid, "VID").replace(
        f"box-{run}", "BOX")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenarios())
def test_order_duplicates_and_batching_do_not_show(store: Store, s: Scenario) -> None:
    reference, shuffled = next(_runs), next(_runs)
    for ev in s.events(reference):  # emission order, one at a time, once each
        store.ingest(ev)
    for batch in s.delivery(shuffled):
        store.ingest_many(batch)
    assert _outcome(store, shuffled) == _outcome(store, reference)
    v = store.get_violation(f"v-{reference}", ALL)
    assert v.version == len(s.events(reference))
    assert len(store.audit_of(f"v-{reference}", ALL)) == len(s.decisions)
