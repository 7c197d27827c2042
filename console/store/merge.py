"""Merging the phases of one violation into its current state, whatever the arrival order.

MQTT delivers each box's events in order, but redelivery after an outage, the outbox's
merging and several ingest replicas mean an `ended` may come before its `started`, and the
`evidence_ready` update (sent last) may come first. So the merged state is a *join*: each
phase contributes what it alone says (`contribution`), and `join` keeps, field group by field
group, the contribution with the greater key. A join is commutative and associative, so any
order of the same phases gives the same state. The winning keys are kept with the state
(`keys`, stored in violations.merge_keys), which lets the store merge one new phase into
the stored row without re-reading the others.

Field groups and their rule:
    state      ids, labels, last_count, objects, reason, source_time_s: the latest phase by
               (not an evidence-only update, event time, phase rank, event id). The
               evidence_ready update copies the final state with reason "evidence_ready",
               so it only fills in when nothing else has arrived.
    started    started_at/ts: the earliest.
    ended      ended_at/ts: from the `ended` phase, else from the latest phase carrying one.
    evidence   evidence, evidence_ready: ready beats not ready, then the latest.
    phase      `ended` once any phase carries ended_at (an update after the end never
               reopens); else the furthest phase seen.
    max_count  the max over all phases of count and max_count.
    version    the number of phases merged (each event id counts once: the store dedups).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from console.store.wire import PHASE_RANK, PhaseIn

Key = tuple[Any, ...]
_PHASE_NAMES = {rank: name for name, rank in PHASE_RANK.items()}


@dataclass(frozen=True)
class Merged:
    site_id: str
    box_id: str
    camera_id: str
    zone_id: str
    zone_label: str
    kind: str
    alarm_type: str
    last_count: int
    objects: list[dict[str, Any]]
    reason: str
    source_time_s: float
    started_at: str
    started_ts: float
    ended_at: str | None
    ended_ts: float | None
    evidence: dict[str, Any]
    evidence_ready: bool
    phase_rank: int
    max_count: int
    last_event_ts: float
    version: int
    state_key: Key
    ended_key: Key | None
    evidence_key: Key

    @property
    def phase(self) -> str:
        return "ended" if self.ended_key is not None else _PHASE_NAMES[self.phase_rank]

    def keys_json(self) -> dict[str, Any]:
        return {
            "state": list(self.state_key),
            "ended": list(self.ended_key) if self.ended_key is not None else None,
            "evidence": list(self.evidence_key),
            "phase_rank": self.phase_rank,
        }


def contribution(p: PhaseIn) -> Merged:
    """What one phase alone says about its violation."""
    d, env = p.data, p.env
    evidence = d.evidence.model_dump(mode="json")
    ended_key = (
        (int(d.phase == "ended"), env.time_ts, env.event_id) if d.ended_at is not None else None
    )
    return Merged(
        site_id=d.site_id, box_id=d.box_id, camera_id=d.camera_id, zone_id=d.zone_id,
        zone_label=d.zone_label, kind=d.kind, alarm_type=d.alarm_type, last_count=d.count,
        objects=[o.model_dump(mode="json") for o in d.objects], reason=d.reason,
        source_time_s=d.source_time_s, started_at=d.started_at, started_ts=p.started_ts,
        ended_at=d.ended_at, ended_ts=p.ended_ts, evidence=evidence,
        evidence_ready=d.evidence.ready, phase_rank=p.rank,
        max_count=max(d.count, d.max_count), last_event_ts=env.time_ts, version=1,
        state_key=(int(not p.evidence_only), env.time_ts, p.rank, env.event_id),
        ended_key=ended_key,
        evidence_key=(int(d.evidence.ready), env.time_ts, env.event_id),
    )


def join(a: Merged, b: Merged) -> Merged:
    """The state that both `a` and `b` together say (commutative, associative)."""
    state = a if a.state_key >= b.state_key else b
    started = a if (a.started_ts, a.started_at) <= (b.started_ts, b.started_at) else b
    ended = a if _ended_wins(a, b) else b
    evidence = a if a.evidence_key >= b.evidence_key else b
    return replace(
        state,
        started_at=started.started_at, started_ts=started.started_ts,
        ended_at=ended.ended_at, ended_ts=ended.ended_ts, ended_key=ended.ended_key,
        evidence=evidence.evidence, evidence_ready=evidence.evidence_ready,
        evidence_key=evidence.evidence_key,
        phase_rank=max(a.phase_rank, b.phase_rank), max_count=max(a.max_count, b.max_count),
        last_event_ts=max(a.last_event_ts, b.last_event_ts), version=a.version + b.version,
    )


def _ended_wins(a: Merged, b: Merged) -> bool:
    if a.ended_key is None or b.ended_key is None:
        return b.ended_key is None
    return a.ended_key >= b.ended_key


def merge(current: Merged | None, p: PhaseIn) -> Merged:
    """`current` with one more phase merged in (`current` None: the first phase seen)."""
    new = contribution(p)
    return new if current is None else join(current, new)


def to_row(m: Merged) -> dict[str, Any]:
    """The violations columns this state sets (review columns are not the merge's)."""
    return {
        "site_id": m.site_id, "box_id": m.box_id, "camera_id": m.camera_id,
        "zone_id": m.zone_id, "zone_label": m.zone_label, "kind": m.kind,
        "alarm_type": m.alarm_type, "phase": m.phase, "started_at": m.started_at,
        "started_ts": m.started_ts, "ended_at": m.ended_at, "ended_ts": m.ended_ts,
        "max_count": m.max_count, "last_count": m.last_count,
        "source_time_s": m.source_time_s, "objects": m.objects, "evidence": m.evidence,
        "evidence_ready": m.evidence_ready, "reason": m.reason,
        "last_event_ts": m.last_event_ts, "merge_keys": m.keys_json(), "version": m.version,
    }


def from_row(row: Any) -> Merged:
    """The merged state stored in a violations row (version: phases merged so far plus any
    review actions, which only ever add to it)."""
    keys = row.merge_keys
    ended = keys.get("ended")
    return Merged(
        site_id=row.site_id, box_id=row.box_id, camera_id=row.camera_id,
        zone_id=row.zone_id, zone_label=row.zone_label, kind=row.kind,
        alarm_type=row.alarm_type, last_count=row.last_count, objects=list(row.objects),
        reason=row.reason, source_time_s=row.source_time_s, started_at=row.started_at,
        started_ts=row.started_ts, ended_at=row.ended_at, ended_ts=row.ended_ts,
        evidence=dict(row.evidence), evidence_ready=bool(row.evidence_ready),
        phase_rank=int(keys["phase_rank"]), max_count=row.max_count,
        last_event_ts=row.last_event_ts, version=row.version,
        state_key=tuple(keys["state"]), ended_key=tuple(ended) if ended is not None else None,
        evidence_key=tuple(keys["evidence"]),
    )
