"""Applying events to the store: idempotent by event id, order-independent per violation,
safe with several ingest replicas on one PostgreSQL.

One batch is one transaction (the MQTT ingest acknowledges only after it committed):
  1. events are parsed before the transaction; malformed ones become `invalid` results and
     types the console does not handle `ignored` ones (neither blocks the batch; their
     sequence numbers still count as received);
  2. each event's id goes into events_seen (INSERT ... ON CONFLICT DO NOTHING: a duplicate
     delivered to two replicas at once waits for the first one's commit and is then a
     `duplicate` there; known -> nothing else happens);
  3. each new event's effect: the violation phases first, all together (merge.py, under
     the violation rows' locks), then decisions and overdue marks (review.py) and camera
     or box states (devices.py) in arrival order: they commute with the phases by design;
  4. last, the rows of every box the batch touches are locked, in sorted order, and their
     sequence ranges (a duplicate's number counts too: a box's own decisions and overdue
     marks are known to its store before their numbered events come back through it),
     sequence summary and last-seen time are written. Only this read-modify-write needs
     the box's lock, and taking it at the end holds it for the shortest time: two replicas
     with batches over the same boxes (every batch touches most boxes of a fleet) overlap
     for everything else instead of running one after the other. (Taken first, the locks
     made two replicas no faster than one.)
The ids, sequences and phases are written set-at-a-time (bulk.py), with the same outcome
as one by one in arrival order. A deadlock between replicas (rare: the same duplicate in
both batches) aborts one transaction, which is run again whole.

Two replicas fed from one shared subscription hold batches over the same violations (a
violation's phases go to either) and the same boxes (a batch touches most boxes of a
fleet); waiting for each other's locks made them take turns (a third of their time waiting
in PostgreSQL, two replicas hardly faster than one). So, on PostgreSQL:
  - with `defer_busy`, a violation whose lock another transaction holds is not waited for:
    its events come back `deferred` (nothing of them written, not even their ids) and the
    caller applies them again with its next batch (the centre's ingest does; it
    acknowledges a message only once its event is applied);
  - step 4 (the boxes' rows) runs in a second, short transaction after the first
    committed (`BoxWork`): it waits only for another replica's step 4, never for a whole
    batch. A replica stopped between the two has acknowledged nothing: the batch comes
    again, as duplicates, whose sequence numbers count (below); only its boxes' last-seen
    time waits for their next event.
SQLite (one writer at a time) does everything in one transaction, as before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select, tuple_, update

from console.store import bulk, devices, pgbulk, review, sequences
from console.store.model import IngestResult
from console.store.tables import boxes, events_seen
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


@dataclass(frozen=True)
class BoxWork:
    """Step 4 of a batch: its boxes, their sequence numbers, the boxes that spoke."""

    keys: list[BoxKey]
    seqs_by_box: dict[BoxKey, list[int]]
    heard: frozenset[BoxKey]


def apply_batch(tx: Tx, items: list[Item], *, defer_busy: bool = False,
                boxes_apart: bool = False) -> tuple[list[IngestResult], BoxWork | None]:
    """Apply a batch in a fixed number of statements (bulk.py), with the results and rows
    that applying its events one by one, in order, would give. With `boxes_apart`, step 4
    is returned for apply_boxes() in a transaction of its own; else it is done here."""
    results: list[IngestResult | None] = [None] * len(items)
    busy = _lock_violations(tx, items, defer_busy)
    todo: list[Item | None] = [item if _violation_of(item) not in busy else None
                               for item in items]
    for i, item in enumerate(items):
        if todo[i] is None and not isinstance(item, Unapplied):
            kind, ref, _ = _kind_and_ref(item)
            results[i] = IngestResult(item.env.event_id, "deferred", kind, ref)
    fresh = _claim_ids(tx, todo)
    phases: list[int] = []  # every new phase of the batch, merged together
    others: list[int] = []  # decisions, overdue marks and states, one by one after them
    for i, maybe in enumerate(todo):
        if maybe is None:
            continue
        if isinstance(maybe, Unapplied):
            results[i] = maybe.result
        elif i not in fresh:
            kind, ref, _ = _kind_and_ref(maybe)
            results[i] = IngestResult(maybe.env.event_id, "duplicate", kind, ref)
        else:
            (phases if isinstance(maybe, PhaseIn) else others).append(i)
    # Phases, decisions and states commute (a decision before its violation waits in the
    # audit log and applies when it is created; merges never touch the review columns;
    # states are ordered by their own times), so the phases need not be cut into runs at
    # every decision: one set-at-a-time merge for all of them.
    _flush_phases(tx, items, phases, results)
    for i in others:
        item = items[i]
        assert isinstance(item, ReviewIn | OverdueIn | StateIn)
        results[i] = _apply_other(tx, item)
    work = _box_work([x for x in todo if x is not None], {id(items[i]) for i in fresh})
    out = [r for r in results if r is not None]
    if boxes_apart:
        return out, work
    apply_boxes(tx, work)
    return out, None


def apply_boxes(tx: Tx, work: BoxWork | None) -> None:
    """Step 4: lock the boxes' rows (in sorted order), add the sequence numbers to their
    ranges and summaries, note the boxes that spoke as seen now."""
    if work is None or not work.keys:
        return
    locked = _lock_boxes(tx, work.keys)
    for key in work.heard:  # the box itself spoke: it is alive
        locked[key].dirty = locked[key].heard = True
    _record_sequences(tx, work.seqs_by_box, locked)
    _save_boxes(tx, locked)


def _box_work(items: list[Item], fresh_ids: set[int]) -> BoxWork:
    keys = {_kind_and_ref(i)[2] for i in items if not isinstance(i, Unapplied)}
    keys |= {k for i in items if (k := _source_box(i.env)) is not None}
    seqs: dict[BoxKey, list[int]] = {}
    heard: set[BoxKey] = set()
    for item in items:
        key = _source_box(item.env)
        if key is None:
            continue
        if id(item) in fresh_ids:
            heard.add(key)
        if item.env is not None and item.env.sequence is not None:
            seqs.setdefault(key, []).append(item.env.sequence)
    return BoxWork(sorted(keys), seqs, frozenset(heard))


def _violation_of(item: Item) -> str | None:
    if isinstance(item, PhaseIn | ReviewIn | OverdueIn):
        return item.data.violation_id
    return None


def _lock_violations(tx: Tx, items: list[Item], defer_busy: bool) -> set[str]:
    """On PostgreSQL, the batch's violations are locked by id before anything reads them.
    A row lock cannot do it for a violation not created yet: a replica creating it would
    not see a decision another replica logs meanwhile (both uncommitted), the decision
    would wait in the audit log for ever. With the id locked, one commits first and the
    other sees it. (A deadlock this may cause is run again, as any.) With `defer_busy`,
    the ids another transaction holds are returned instead of waited for."""
    if not tx.db.is_postgres:
        return set()  # SQLite: one writer at a time
    names = [v for item in items if (v := _violation_of(item)) is not None]
    if defer_busy:
        return pgbulk.try_lock_names(tx.conn, names)
    pgbulk.lock_names(tx.conn, names)
    return set()


def _claim_ids(tx: Tx, items: list[Item | None]) -> set[int]:
    """Insert the events' ids into events_seen; the indexes of the events seen first here
    (a later copy in the same batch, or an id known before, is a duplicate)."""
    first: dict[str, int] = {}
    rows = []
    for i, item in enumerate(items):
        if item is None or isinstance(item, Unapplied) or item.env.event_id in first:
            continue
        first[item.env.event_id] = i
        box = _kind_and_ref(item)[2]
        rows.append({"event_id": item.env.event_id, "type": item.env.type, "site_id": box[0],
                     "box_id": box[1], "received_ts": tx.now_ts})
    if not rows:
        return set()
    new = bulk.insert_ignore_many(tx, events_seen, rows)
    return {i for eid, i in first.items() if (eid,) in new}


def _record_sequences(
    tx: Tx, by_box: dict[BoxKey, list[int]], locked: dict[BoxKey, _BoxState]
) -> None:
    """The sequence numbers of the batch's events into their boxes' ranges and summaries:
    new ones, duplicates (a box's own decisions and overdue marks are known to its store
    before their numbered events come back) and unapplied ones (the box did send them)."""
    for key, new in bulk.record_sequences(tx, by_box).items():
        st = locked[key]
        missing_before = st.seq.missing
        for seq in new:
            st.seq.add(seq)
            st.dirty = True
        if st.seq.missing != missing_before:  # box pages show gaps: worth a live update
            tx.changes.add("box", f"{key[0]}/{key[1]}", key[0])


_BOX_COLS = ["site_id", "box_id", "first_sequence", "last_sequence", "missing_count"]


def _lock_boxes(tx: Tx, keys: list[BoxKey]) -> dict[BoxKey, _BoxState]:
    """The boxes' rows, locked in key order; a box first heard of gets its row."""
    if not keys:
        return {}
    if tx.db.is_postgres:
        # Boxes nearly always exist: lock those, then insert (and lock) the few new ones,
        # rather than an INSERT ... ON CONFLICT of every box of every batch.
        rows = list(pgbulk.select_locked(tx.conn, boxes, ["site_id", "box_id"], keys,
                                         _BOX_COLS))
        new = sorted(set(keys) - {(r.site_id, r.box_id) for r in rows})
        if new:
            bulk.insert_ignore_many(tx, boxes, [devices.new_box_row(tx, s, b) for s, b in new])
            rows += pgbulk.select_locked(tx.conn, boxes, ["site_id", "box_id"], new,
                                         _BOX_COLS)
    else:
        bulk.insert_ignore_many(tx, boxes, [devices.new_box_row(tx, s, b) for s, b in keys])
        b = boxes.c
        rows = list(tx.conn.execute(
            select(*(b[c] for c in _BOX_COLS)).where(tuple_(b.site_id, b.box_id).in_(keys))
            .order_by(b.site_id, b.box_id).with_for_update()
        ).all())
    return {
        (r.site_id, r.box_id): _BoxState(
            sequences.SeqState(r.first_sequence, r.last_sequence, int(r.missing_count)))
        for r in rows
    }


def _save_boxes(tx: Tx, locked: dict[BoxKey, _BoxState]) -> None:
    dirty = sorted((k, st) for k, st in locked.items() if st.dirty)
    if not dirty:
        return
    if tx.db.is_postgres:
        for group in ([(k, st) for k, st in dirty if st.heard],
                      [(k, st) for k, st in dirty if not st.heard]):
            pgbulk.update_by_key(tx.conn, boxes, ["site_id", "box_id"], [
                {"site_id": k[0], "box_id": k[1], "first_sequence": st.seq.first,
                 "last_sequence": st.seq.last, "missing_count": st.seq.missing,
                 "updated_ts": tx.now_ts, **({"last_seen_ts": tx.now_ts} if st.heard else {})}
                for k, st in group])
        return
    b = boxes.c
    stmt = update(boxes).where(b.site_id == bindparam("k_site"), b.box_id == bindparam("k_box"))
    heard = [(k, st) for k, st in dirty if st.heard]
    quiet = [(k, st) for k, st in dirty if not st.heard]
    for group, values in ((heard, {"last_seen_ts": tx.now_ts}), (quiet, {})):
        if group:
            tx.conn.execute(stmt.values(
                first_sequence=bindparam("f"), last_sequence=bindparam("l"),
                missing_count=bindparam("m"), updated_ts=tx.now_ts, **values,
            ), [{"k_site": k[0], "k_box": k[1], "f": st.seq.first, "l": st.seq.last,
                 "m": st.seq.missing} for k, st in group])


def _flush_phases(
    tx: Tx, items: list[Item], run: list[int], results: list[IngestResult | None]
) -> None:
    if not run:
        return
    phases = [items[i] for i in run]
    assert all(isinstance(p, PhaseIn) for p in phases)
    errors = bulk.apply_phases(tx, phases)  # type: ignore[arg-type]
    for i, error in zip(run, errors, strict=True):
        results[i] = _result(items[i], error)  # type: ignore[arg-type]
    run.clear()


def _apply_other(tx: Tx, p: ReviewIn | OverdueIn | StateIn) -> IngestResult:
    error = None
    if isinstance(p, ReviewIn):
        error = review.apply_review_event(tx, p)
    elif isinstance(p, OverdueIn):
        error = review.apply_overdue_event(tx, p)
    else:
        _apply_state(tx, p)
    return _result(p, error)


def _result(p: Parsed, error: str | None) -> IngestResult:
    kind, ref, _ = _kind_and_ref(p)
    if error is not None:
        log.warning("refused event %s: %s", p.env.event_id, error)
        return IngestResult(p.env.event_id, "invalid", kind, ref, error)
    return IngestResult(p.env.event_id, "applied", kind, ref)


def _apply_state(tx: Tx, s: StateIn) -> None:
    if s.camera_id is None:
        devices.set_box_health(tx, s.site_id, s.box_id, s.state, s.env.time, s.env.time_ts,
                               s.detail)
    else:
        devices.set_camera_state(tx, (s.site_id, s.box_id, s.camera_id), s.state,
                                 s.env.time, s.env.time_ts, s.detail)
