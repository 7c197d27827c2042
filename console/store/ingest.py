"""Applying events to the store: idempotent by event id, order-independent per violation,
safe with several ingest replicas on one PostgreSQL.

One batch is one transaction (the MQTT ingest acknowledges only after it committed):
  1. events are parsed before the transaction; malformed ones become `invalid` results and
     types the console does not handle `ignored` ones (neither blocks the batch; their
     sequence numbers still count as received);
  2. the rows of every box the batch touches are locked, in sorted order. Every event of a
     box (its id in events_seen, its sequence, its violation rows) is written under that
     box's lock, so two replicas handed overlapping batches queue per box instead of
     deadlocking, and a duplicate delivered to both is applied by exactly one;
  3. each event: its id into events_seen (known -> `duplicate`, nothing else happens), its
     sequence into the box's ranges, then its effect: violation phase (merge.py), camera or
     box state (devices.py), decision or overdue mark (review.py);
  4. the box rows get their new sequence summary, and the last-seen time of the boxes that
     sent events themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, tuple_, update

from console.store import devices, merge, review, sequences
from console.store.model import IngestResult
from console.store.tables import boxes, events_seen, violation_phases, violations
from console.store.tx import Tx
from console.store.wire import (
    Envelope,
    OverdueIn,
    Parsed,
    PhaseIn,
    ReviewIn,
    StateIn,
    WireError,
    parse,
    parse_envelope,
)

log = logging.getLogger(__name__)

BoxKey = tuple[str, str]


@dataclass(frozen=True)
class Unapplied:
    """An event with nothing to apply (invalid or ignored). When its envelope parsed, its
    sequence number still counts as received: the box did send it, and a newer box emitting
    types this console does not know yet must not look like one losing events."""

    result: IngestResult
    env: Envelope | None


Item = Parsed | Unapplied


def prepare(event: Mapping[str, Any]) -> Item:
    """Parse one event, outside any transaction."""
    event_id = event.get("id") if isinstance(event, Mapping) else None
    eid = event_id if isinstance(event_id, str) else None
    try:
        return parse(event)
    except WireError as e:
        log.warning("invalid event %s: %s", eid, e)
        return Unapplied(IngestResult(eid, "invalid", error=str(e)), _envelope(event))
    except LookupError as e:
        return Unapplied(
            IngestResult(eid, "ignored", error=f"type {e} is not handled by the console"),
            _envelope(event))


def _envelope(event: Mapping[str, Any]) -> Envelope | None:
    try:
        return parse_envelope(event)
    except WireError:
        return None


def needs_transaction(item: Item) -> bool:
    return not isinstance(item, Unapplied) or _source_box(item.env) is not None


def _kind_and_ref(p: Parsed) -> tuple[str, str, BoxKey]:
    if isinstance(p, PhaseIn):
        return "violation", p.data.violation_id, (p.data.site_id, p.data.box_id)
    if isinstance(p, ReviewIn):
        return "decision", p.data.violation_id, (p.data.site_id, p.data.box_id)
    if isinstance(p, OverdueIn):
        return "overdue", p.data.violation_id, (p.data.site_id, p.data.box_id)
    key = (p.site_id, p.box_id)
    if p.camera_id is None:
        return "box", f"{p.site_id}/{p.box_id}", key
    return "camera", f"{p.site_id}/{p.box_id}/{p.camera_id}", key


def _source_box(env: Envelope | None) -> BoxKey | None:
    """The box that sent the event (its `source`), whose numbering `sequence` is."""
    if env is None or env.source_site is None or env.source_box is None:
        return None
    return env.source_site, env.source_box


@dataclass
class _BoxState:
    seq: sequences.SeqState
    dirty: bool = False  # sequence summary or last-seen time to write back
    heard: bool = False  # an event from this box itself: it is alive


def apply_batch(tx: Tx, items: list[Item]) -> list[IngestResult]:
    keys = {_kind_and_ref(i)[2] for i in items if not isinstance(i, Unapplied)}
    keys |= {k for i in items if (k := _source_box(i.env)) is not None}
    locked = _lock_boxes(tx, sorted(keys))
    results = [
        _unapplied(tx, i, locked) if isinstance(i, Unapplied) else _apply(tx, i, locked)
        for i in items
    ]
    _save_boxes(tx, locked)
    return results


def _unapplied(tx: Tx, u: Unapplied, locked: dict[BoxKey, _BoxState]) -> IngestResult:
    key = _source_box(u.env)
    if key is not None and u.env is not None and u.env.sequence is not None:
        _record_sequence(tx, key, u.env.sequence, locked[key])
    return u.result


def _lock_boxes(tx: Tx, keys: list[BoxKey]) -> dict[BoxKey, _BoxState]:
    if not keys:
        return {}
    for site_id, box_id in keys:
        devices.ensure_box(tx, site_id, box_id)
    b = boxes.c
    rows = tx.conn.execute(
        select(b.site_id, b.box_id, b.first_sequence, b.last_sequence, b.missing_count)
        .where(tuple_(b.site_id, b.box_id).in_(keys))
        .order_by(b.site_id, b.box_id).with_for_update()
    ).all()
    return {
        (r.site_id, r.box_id): _BoxState(
            sequences.SeqState(r.first_sequence, r.last_sequence, int(r.missing_count)))
        for r in rows
    }


def _save_boxes(tx: Tx, locked: dict[BoxKey, _BoxState]) -> None:
    b = boxes.c
    for (site_id, box_id), st in locked.items():
        if not st.dirty:
            continue
        heard = {"last_seen_ts": tx.now_ts} if st.heard else {}
        tx.conn.execute(update(boxes).where(b.site_id == site_id, b.box_id == box_id).values(
            first_sequence=st.seq.first, last_sequence=st.seq.last,
            missing_count=st.seq.missing, updated_ts=tx.now_ts, **heard,
        ))


def _apply(tx: Tx, p: Parsed, locked: dict[BoxKey, _BoxState]) -> IngestResult:
    kind, ref, box = _kind_and_ref(p)
    env = p.env
    if not tx.insert_ignore(events_seen, {
        "event_id": env.event_id, "type": env.type, "site_id": box[0], "box_id": box[1],
        "received_ts": tx.now_ts,
    }):
        return IngestResult(env.event_id, "duplicate", kind, ref)
    source = _source_box(env)
    if source is not None:
        locked[source].dirty = locked[source].heard = True
        if env.sequence is not None:
            _record_sequence(tx, source, env.sequence, locked[source])
    error = None
    if isinstance(p, PhaseIn):
        error = apply_phase(tx, p)
    elif isinstance(p, ReviewIn):
        error = review.apply_review_event(tx, p)
    elif isinstance(p, OverdueIn):
        error = review.apply_overdue_event(tx, p)
    else:
        _apply_state(tx, p)
    if error is not None:
        log.warning("refused event %s: %s", env.event_id, error)
        return IngestResult(env.event_id, "invalid", kind, ref, error)
    return IngestResult(env.event_id, "applied", kind, ref)


def _record_sequence(tx: Tx, key: BoxKey, seq: int, st: _BoxState) -> None:
    if not sequences.record(tx.conn, key[0], key[1], seq):
        return
    missing_before = st.seq.missing
    st.seq.add(seq)
    st.dirty = True
    if st.seq.missing != missing_before:  # box pages show gaps: worth a live update
        tx.changes.add("box", f"{key[0]}/{key[1]}", key[0])


def _apply_state(tx: Tx, s: StateIn) -> None:
    if s.camera_id is None:
        devices.set_box_health(tx, s.site_id, s.box_id, s.state, s.env.time, s.env.time_ts,
                               s.detail)
    else:
        devices.set_camera_state(tx, (s.site_id, s.box_id, s.camera_id), s.state,
                                 s.env.time, s.env.time_ts, s.detail)


def apply_phase(tx: Tx, p: PhaseIn) -> str | None:
    """Merge one phase; an error (and nothing merged) when it contradicts the violation's
    site or box."""
    d, env = p.data, p.env
    if not tx.insert_ignore(violation_phases, {
        "event_id": env.event_id, "violation_id": d.violation_id, "phase": d.phase,
        "event_time": env.time, "event_ts": env.time_ts, "count": d.count,
        "reason": d.reason, "payload": dict(env.raw), "received_ts": tx.now_ts,
    }):
        return None  # merged before (its id was pruned from events_seen since)
    row = _locked_violation(tx, d.violation_id)
    if row is None and _create(tx, p):
        return None
    row = row or _locked_violation(tx, d.violation_id)
    assert row is not None  # created by a concurrent writer, or _create would have returned
    if (row.site_id, row.box_id) != (d.site_id, d.box_id):
        return owner_mismatch(row, d.site_id, d.box_id)
    merged = merge.join(merge.from_row(row), merge.contribution(p))
    tx.conn.execute(update(violations).where(violations.c.violation_id == d.violation_id)
                    .values(**merge.to_row(merged), updated_ts=tx.now_ts))
    tx.changes.add("violation", d.violation_id, merged.site_id)
    return None


def owner_mismatch(row: Row[Any], site_id: str, box_id: str) -> str:
    """Violation ids are the box's own; an event about another box's violation is refused
    rather than allowed to move it (and its review) to another site."""
    return (f"violation {row.violation_id} belongs to {row.site_id}/{row.box_id}, "
            f"not {site_id}/{box_id}")


def _locked_violation(tx: Tx, violation_id: str) -> Row[Any] | None:
    stmt = select(violations).where(violations.c.violation_id == violation_id)
    return tx.conn.execute(stmt.with_for_update()).first()


def _create(tx: Tx, p: PhaseIn) -> bool:
    """Insert the violation from its first phase (plus the decisions and overdue marks that
    came before it); False when a concurrent writer created it first."""
    m = merge.contribution(p)
    pending, n_events = review.pending_values(tx, p.data.violation_id, m.site_id)
    values = {
        **merge.to_row(m), "violation_id": p.data.violation_id, "overdue": False,
        **pending, "version": m.version + n_events,
        "created_ts": tx.now_ts, "updated_ts": tx.now_ts,
    }
    if not tx.insert_ignore(violations, values):
        return False
    tx.changes.add("violation", p.data.violation_id, m.site_id)
    devices.ensure_camera(tx, m.site_id, m.box_id, m.camera_id)
    return True
