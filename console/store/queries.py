"""Reads: the violation list (keyset pages), one violation, its phases, audit and
neighbours, unhandled counts, cameras and boxes. Every read is restricted to a `Scope`.

The list is ordered by (started_ts DESC, violation_id DESC); every filter has an index that
ends with those two columns (tables.py), so a page is a short backwards walk of one index
whatever the table size.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, case, func, or_, select

from console.store import audit, cursor, devices, rows, sequences
from console.store.errors import InvalidInput
from console.store.model import (
    UNHANDLED,
    AuditEntry,
    Box,
    Camera,
    Decision,
    Neighbours,
    Page,
    PhaseRecord,
    SiteCounts,
    UnhandledCount,
    Violation,
    ViolationFilter,
)
from console.store.scope import Scope
from console.store.tables import box_sequences, boxes, cameras, violation_phases, violations

MAX_PAGE = 500
MAX_GAPS_LISTED = 50
_v = violations.c


def _where(f: ViolationFilter, scope: Scope) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    scoped = rows.scope_clause(_v.site_id, scope)
    if scoped is not None:
        clauses.append(scoped)
    for column, value in (
        (_v.site_id, f.site_id), (_v.box_id, f.box_id), (_v.camera_id, f.camera_id),
        (_v.zone_id, f.zone_id), (_v.kind, f.kind),
    ):
        if value is not None:
            clauses.append(column == value)
    if f.decision == UNHANDLED:
        clauses.append(_v.decision.is_(None))
    elif f.decision is not None:
        if f.decision not in set(Decision):
            raise InvalidInput(f"unknown decision filter {f.decision!r}")
        clauses.append(_v.decision == f.decision)
    if f.overdue is not None:
        clauses.append(_v.overdue.is_(f.overdue))
    if f.since_ts is not None:
        clauses.append(_v.started_ts >= f.since_ts)
    if f.until_ts is not None:
        clauses.append(_v.started_ts < f.until_ts)
    return clauses


def _before(ts: float, vid: str) -> ColumnElement[bool]:
    """Strictly after (ts, vid) in descending order. The redundant `started_ts <= ts` is the
    range both planners use to start the index walk."""
    return and_(_v.started_ts <= ts, or_(_v.started_ts < ts, _v.violation_id < vid))


def list_violations(
    conn: Connection, f: ViolationFilter, scope: Scope, limit: int, after: str | None
) -> Page[Violation]:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1..{MAX_PAGE}")
    stmt: Select[Any] = select(*rows.VIOLATION_COLUMNS).where(*_where(f, scope))
    if after is not None:
        stmt = stmt.where(_before(*cursor.decode(after)))
    stmt = stmt.order_by(_v.started_ts.desc(), _v.violation_id.desc()).limit(limit + 1)
    items = [rows.to_violation(r) for r in conn.execute(stmt)]
    more = len(items) > limit
    items = items[:limit]
    nxt = cursor.encode(items[-1].started_ts, items[-1].violation_id) if more else None
    return Page(items, nxt)


def by_ids(conn: Connection, ids: list[str], scope: Scope) -> list[Violation]:
    """The violations of `ids` that exist in the scope, in the order asked (missing ones are
    left out)."""
    if not ids:
        return []
    stmt = select(*rows.VIOLATION_COLUMNS).where(_v.violation_id.in_(ids))
    scoped = rows.scope_clause(_v.site_id, scope)
    if scoped is not None:
        stmt = stmt.where(scoped)
    found = {v.violation_id: v for v in map(rows.to_violation, conn.execute(stmt))}
    return [found[i] for i in ids if i in found]


def count_violations(conn: Connection, f: ViolationFilter, scope: Scope) -> int:
    stmt = select(func.count()).select_from(violations).where(*_where(f, scope))
    return int(conn.execute(stmt).scalar_one())


def phases(conn: Connection, violation_id: str, scope: Scope) -> list[PhaseRecord]:
    rows.get(conn, violation_id, scope)
    p = violation_phases.c
    result = conn.execute(
        select(violation_phases).where(p.violation_id == violation_id)
        .order_by(p.event_ts, p.event_id)
    )
    return [
        PhaseRecord(event_id=r.event_id, violation_id=r.violation_id, phase=r.phase,
                    event_time=r.event_time, event_ts=r.event_ts, count=r._mapping["count"],
                    reason=r.reason, payload=dict(r.payload))
        for r in result
    ]


def audit_of(conn: Connection, violation_id: str, scope: Scope) -> list[AuditEntry]:
    v = rows.get(conn, violation_id, scope)
    return audit.of_violation(conn, violation_id, v.site_id)


def neighbours(conn: Connection, violation_id: str, scope: Scope, n: int) -> Neighbours:
    v = rows.get(conn, violation_id, scope)
    same = select(*rows.VIOLATION_COLUMNS).where(
        _v.site_id == v.site_id, _v.box_id == v.box_id, _v.camera_id == v.camera_id,
    )
    older = same.where(_before(v.started_ts, v.violation_id)).order_by(
        _v.started_ts.desc(), _v.violation_id.desc()).limit(n)
    newer = same.where(
        _v.started_ts >= v.started_ts,
        or_(_v.started_ts > v.started_ts, _v.violation_id > v.violation_id),
    ).order_by(_v.started_ts, _v.violation_id).limit(n)
    return Neighbours(
        before=[rows.to_violation(r) for r in conn.execute(older)],
        after=[rows.to_violation(r) for r in conn.execute(newer)],
    )


def counts_unhandled(conn: Connection, scope: Scope) -> list[UnhandledCount]:
    group = (_v.site_id, _v.box_id, _v.camera_id, _v.zone_id, _v.kind)
    stmt = select(*group, func.count().label("n")).where(
        *_where(ViolationFilter(decision=UNHANDLED), scope)).group_by(*group).order_by(*group)
    return [
        UnhandledCount(site_id=r.site_id, box_id=r.box_id, camera_id=r.camera_id,
                       zone_id=r.zone_id, kind=r.kind, count=int(r.n))
        for r in conn.execute(stmt)
    ]


def counts_by_site(conn: Connection, scope: Scope) -> list[SiteCounts]:
    overdue = func.sum(case((_v.overdue.is_(True), 1), else_=0))
    stmt = (select(_v.site_id, func.count().label("n"), overdue.label("o"))
            .where(*_where(ViolationFilter(decision=UNHANDLED), scope))
            .group_by(_v.site_id).order_by(_v.site_id))
    return [SiteCounts(site_id=r.site_id, unhandled=int(r.n), overdue=int(r.o or 0))
            for r in conn.execute(stmt)]


def list_cameras(conn: Connection, scope: Scope) -> list[Camera]:
    c = cameras.c
    stmt = select(cameras).order_by(c.site_id, c.box_id, c.camera_id)
    scoped = rows.scope_clause(c.site_id, scope)
    if scoped is not None:
        stmt = stmt.where(scoped)
    return [devices.camera_of(r) for r in conn.execute(stmt)]


def list_boxes(conn: Connection, scope: Scope) -> list[Box]:
    b, s = boxes.c, box_sequences.c
    stmt = select(boxes).order_by(b.site_id, b.box_id)
    ranges_stmt = select(s.site_id, s.box_id, s.first_seq, s.last_seq)
    scoped = rows.scope_clause(b.site_id, scope)
    if scoped is not None:
        stmt = stmt.where(scoped)
        ranges_stmt = ranges_stmt.where(rows.scope_clause(s.site_id, scope))  # type: ignore[arg-type]
    ranges: dict[tuple[str, str], list[sequences.Range]] = {}
    for r in conn.execute(ranges_stmt):
        ranges.setdefault((r.site_id, r.box_id), []).append((int(r.first_seq), int(r.last_seq)))
    return [
        devices.box_summary(
            r, sequences.gaps(ranges.get((r.site_id, r.box_id), []))[-MAX_GAPS_LISTED:])
        for r in conn.execute(stmt)
    ]
