"""Set-at-a-time writes for ingest batches: a batch of a few hundred events costs a dozen
statements instead of seven per event.

Why: the centre ingests every box's events through a few replicas; at one statement round
trip per row, a replica managed about 200 events/s on PostgreSQL, a tenth of what a province
needs at its peaks. The rules are those of ingest.py and merge.py, unchanged: each function
here gives the same rows as its one-row counterpart applied in arrival order (the tests
apply the same events both ways and compare).

    insert_ignore_many(tx, table, rows)          INSERT ... ON CONFLICT DO NOTHING, the keys
                                                 actually inserted
    record_sequences(conn, seqs_by_box)          sequences.record for many numbers
    apply_phases(tx, phases)                     the phases of a batch, merged together
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, Table, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects import sqlite

from console.store import merge, pgbulk, review
from console.store.merge import Merged
from console.store.sequences import Range
from console.store.tables import box_sequences, cameras, violation_phases, violations
from console.store.tx import Tx
from console.store.wire import PhaseIn

BoxKey = tuple[str, str]
# Rows per statement: far below SQLite's 32766 bound variables for the widest table here.
_CHUNK = 250


def insert_ignore_many(
    tx: Tx, table: Table, rows: Sequence[dict[str, Any]]
) -> set[tuple[Any, ...]]:
    """Insert the rows that do not conflict; the primary keys of those inserted. One
    executemany: SQLAlchemy folds it into multi-row INSERTs ("insertmanyvalues") from one
    cached statement, where a literal multi-row VALUES would be compiled anew each time."""
    if not rows:
        return set()
    if tx.db.is_postgres:
        return pgbulk.insert_ignore(tx.conn, table, rows)
    key = list(table.primary_key.columns)
    stmt = sqlite.insert(table).on_conflict_do_nothing().returning(*key)
    return {tuple(r) for r in tx.conn.execute(stmt, list(rows))}


# ---------------------------------------------------------------------- sequences


def record_sequences(
    tx: Tx, seqs_by_box: dict[BoxKey, list[int]]
) -> dict[BoxKey, list[int]]:
    """Add each box's numbers to its ranges; per box, the numbers that were new, in the
    order given (a number given twice is new once). Callers hold the boxes' row locks."""
    wanted = {k: v for k, v in seqs_by_box.items() if v}
    if not wanted:
        return {}
    before = _ranges_near(tx, wanted)
    new: dict[BoxKey, list[int]] = {}
    deletes: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for key, seqs in wanted.items():
        old = before.get(key, [])
        ranges = list(old)
        new[key] = [s for s in seqs if _add(ranges, s)]
        gone, added = set(old) - set(ranges), set(ranges) - set(old)
        deletes += [{"s": key[0], "b": key[1], "f": f} for f, _ in sorted(gone)]
        inserts += [{"site_id": key[0], "box_id": key[1], "first_seq": f, "last_seq": last}
                    for f, last in sorted(added)]
    t = box_sequences.c
    if tx.db.is_postgres:
        pgbulk.delete_by_key(tx.conn, box_sequences, ["site_id", "box_id", "first_seq"],
                             [(d["s"], d["b"], d["f"]) for d in deletes])
        pgbulk.insert_ignore(tx.conn, box_sequences, inserts)
        return new
    if deletes:
        tx.conn.execute(delete(box_sequences).where(
            t.site_id == bindparam("s"), t.box_id == bindparam("b"),
            t.first_seq == bindparam("f")), deletes)
    if inserts:
        tx.conn.execute(insert(box_sequences), inserts)
    return new


def _ranges_near(tx: Tx, wanted: dict[BoxKey, list[int]]) -> dict[BoxKey, list[Range]]:
    """The stored ranges each new number could touch: ranges are disjoint and never
    adjacent, so only those overlapping [lowest - 1, highest + 1] can change."""
    t = box_sequences.c
    out: dict[BoxKey, list[Range]] = {}
    keys = sorted(wanted)
    if tx.db.is_postgres:
        found = tx.conn.exec_driver_sql(
            "SELECT t.site_id, t.box_id, t.first_seq, t.last_seq FROM box_sequences AS t "
            "JOIN unnest(%b::varchar[], %b::varchar[], %b::bigint[], %b::bigint[]) "
            "AS w(site_id, box_id, lo, hi) ON t.site_id = w.site_id AND t.box_id = w.box_id "
            "AND t.first_seq <= w.hi + 1 AND t.last_seq >= w.lo - 1 "
            "ORDER BY t.site_id, t.box_id, t.first_seq",
            ([k[0] for k in keys], [k[1] for k in keys], [min(wanted[k]) for k in keys],
             [max(wanted[k]) for k in keys]))
        for r in found:
            out.setdefault((r.site_id, r.box_id), []).append((int(r.first_seq),
                                                              int(r.last_seq)))
        return out
    for i in range(0, len(keys), _CHUNK):
        cond = or_(*[
            and_(t.site_id == k[0], t.box_id == k[1], t.first_seq <= max(wanted[k]) + 1,
                 t.last_seq >= min(wanted[k]) - 1)
            for k in keys[i:i + _CHUNK]
        ])
        for r in tx.conn.execute(select(t.site_id, t.box_id, t.first_seq, t.last_seq)
                                 .where(cond).order_by(t.site_id, t.box_id, t.first_seq)):
            out.setdefault((r.site_id, r.box_id), []).append((int(r.first_seq),
                                                              int(r.last_seq)))
    return out


def _add(ranges: list[Range], seq: int) -> bool:
    """Add `seq` to sorted, disjoint, non-adjacent `ranges` in place; False if present."""
    i = bisect.bisect_right(ranges, (seq, float("inf")))  # ranges[i-1] starts at or before
    left = ranges[i - 1] if i > 0 else None
    right = ranges[i] if i < len(ranges) else None
    if left is not None and left[1] >= seq:
        return False
    joins_left = left is not None and left[1] == seq - 1
    joins_right = right is not None and right[0] == seq + 1
    if joins_left and joins_right:
        assert left is not None and right is not None
        ranges[i - 1:i + 1] = [(left[0], right[1])]
    elif joins_left:
        assert left is not None
        ranges[i - 1] = (left[0], seq)
    elif joins_right:
        assert right is not None
        ranges[i] = (seq, right[1])
    else:
        ranges.insert(i, (seq, seq))
    return True


# ---------------------------------------------------------------------- phases


def apply_phases(tx: Tx, phases: Sequence[PhaseIn]) -> list[str | None]:
    """Merge phases whose event ids are new, in their order, as merging them one by one
    would; one error (None: merged, or merged before) per phase."""
    errors: list[str | None] = [None] * len(phases)
    stored = insert_ignore_many(tx, violation_phases, [_phase_row(tx, p) for p in phases])
    todo = [i for i, p in enumerate(phases) if (p.env.event_id,) in stored]
    by_vid: dict[str, list[int]] = {}
    for i in todo:
        by_vid.setdefault(phases[i].data.violation_id, []).append(i)
    if not by_vid:
        return errors
    rows = _locked_rows(tx, by_vid)
    created: dict[str, Merged] = {}
    updated: dict[str, Merged] = {}
    for vid, idx in by_vid.items():
        row = rows.get(vid)
        merged = _fold(phases, idx, row, errors)
        if merged is not None:
            (updated if row is not None else created)[vid] = merged
    late = _create(tx, created, by_vid, phases)
    if late:  # created by a concurrent writer meanwhile: merge into what it wrote
        rows.update(_locked_rows(tx, {v: by_vid[v] for v in late}))
        for vid in late:
            merged = _fold(phases, by_vid[vid], rows[vid], errors)
            if merged is not None:
                updated[vid] = merged
    _update(tx, updated, rows)
    return errors


def _phase_row(tx: Tx, p: PhaseIn) -> dict[str, Any]:
    d, env = p.data, p.env
    return {
        "event_id": env.event_id, "violation_id": d.violation_id, "phase": d.phase,
        "event_time": env.time, "event_ts": env.time_ts, "count": d.count,
        "reason": d.reason, "payload": dict(env.raw), "received_ts": tx.now_ts,
    }


def _locked_rows(tx: Tx, by_vid: dict[str, list[int]]) -> dict[str, Row[Any]]:
    vids = sorted(by_vid)
    if tx.db.is_postgres:
        return {r.violation_id: r for r in pgbulk.select_locked(
            tx.conn, violations, ["violation_id"], [(v,) for v in vids])}
    out: dict[str, Row[Any]] = {}
    for i in range(0, len(vids), _CHUNK):
        stmt = (select(violations).where(violations.c.violation_id.in_(vids[i:i + _CHUNK]))
                .order_by(violations.c.violation_id).with_for_update())
        out.update((r.violation_id, r) for r in tx.conn.execute(stmt))
    return out


def _fold(
    phases: Sequence[PhaseIn], idx: list[int], row: Row[Any] | None,
    errors: list[str | None],
) -> Merged | None:
    """The violation's state with its phases merged in arrival order (None: nothing
    merged); a phase naming another site or box than the violation's is refused."""
    state = merge.from_row(row) if row is not None else None
    owner = (row.site_id, row.box_id) if row is not None else None
    changed = False
    for i in idx:
        d = phases[i].data
        if owner is not None and owner != (d.site_id, d.box_id):
            errors[i] = owner_mismatch(d.violation_id, owner, d.site_id, d.box_id)
            continue
        state = merge.merge(state, phases[i])
        owner, changed = (d.site_id, d.box_id), True
    return state if changed else None


def owner_mismatch(vid: str, owner: BoxKey, site_id: str, box_id: str) -> str:
    """Violation ids are the box's own; an event about another box's violation is refused
    rather than allowed to move it (and its review) to another site."""
    return f"violation {vid} belongs to {owner[0]}/{owner[1]}, not {site_id}/{box_id}"


def _create(
    tx: Tx, created: dict[str, Merged], by_vid: dict[str, list[int]],
    phases: Sequence[PhaseIn],
) -> list[str]:
    """Insert new violations (with decisions that arrived before them); the ids another
    writer created first."""
    if not created:
        return []
    pending = review.pending_many(tx, {v: m.site_id for v, m in created.items()})
    values = []
    for vid, m in created.items():
        extra, n_events = pending.get(vid, ({}, 0))
        values.append({
            **merge.to_row(m), "violation_id": vid, **_all_review_columns(extra),
            "version": m.version + n_events,
            "created_ts": tx.now_ts, "updated_ts": tx.now_ts,
        })
    inserted = {k[0] for k in insert_ignore_many(tx, violations, values)}
    for vid in sorted(inserted):
        tx.changes.add("violation", vid, created[vid].site_id)
    _ensure_cameras(tx, (created[v] for v in sorted(inserted)))
    return sorted(set(created) - inserted)


# A multi-row INSERT needs the same columns in every row: the review columns a pending
# decision or overdue mark may set, None (not overdue) where it set none.
_REVIEW_COLUMNS = (*review.DECISION_FIELDS, "decision_ts", "decision_event_id",
                   "claimed_by", "claimed_at", "claimed_ts", "overdue_at", "overdue_ts")


def _all_review_columns(extra: dict[str, Any]) -> dict[str, Any]:
    return {**{c: extra.get(c) for c in _REVIEW_COLUMNS},
            "overdue": bool(extra.get("overdue", False))}


def _ensure_cameras(tx: Tx, merged: Iterable[Merged]) -> None:
    rows = {(m.site_id, m.box_id, m.camera_id): {
        "site_id": m.site_id, "box_id": m.box_id, "camera_id": m.camera_id,
        "state": "unknown", "detail": {}, "updated_ts": tx.now_ts,
    } for m in merged}
    if not rows:
        return
    for key in sorted(insert_ignore_many(tx, cameras, list(rows.values()))):
        tx.changes.add("camera", "/".join(key), key[0])


def _update(tx: Tx, updated: dict[str, Merged], rows: dict[str, Row[Any]]) -> None:
    if not updated:
        return
    for vid, m in sorted(updated.items()):
        tx.changes.add("violation", vid, m.site_id)
    if tx.db.is_postgres:
        # Every merge column, whether changed or not: PostgreSQL compares the values, so an
        # unchanged indexed column still allows a HOT update.
        pgbulk.update_by_key(tx.conn, violations, ["violation_id"], [
            {"violation_id": vid, **merge.to_row(m), "updated_ts": tx.now_ts}
            for vid, m in sorted(updated.items())])
        return
    # SQLite rewrites the index entries of every column an UPDATE names: only the columns
    # that changed, one executemany per set of them.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for vid, m in sorted(updated.items()):
        before, after = merge.to_row(merge.from_row(rows[vid])), merge.to_row(m)
        changed = {k: v for k, v in after.items() if before[k] != v}
        groups.setdefault(tuple(changed), []).append(
            {**changed, "updated_ts": tx.now_ts, "b_vid": vid})
    for cols, params in groups.items():
        stmt = (update(violations).where(violations.c.violation_id == bindparam("b_vid"))
                .values({c: bindparam(c, type_=violations.c[c].type)
                         for c in (*cols, "updated_ts")}))
        tx.conn.execute(stmt, params)
