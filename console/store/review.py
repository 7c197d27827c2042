"""The closed loop of review: claim, release, decide, reopen, comment, overdue, and decisions
that arrive as `sitewarden.review.decided` events.

Rules:
  - Only roles that may `decide` act here; rows outside the actor's scope are NotFound.
  - A claim is held by one person. Claiming, deciding or releasing a violation someone else
    holds is a Conflict naming the holder, unless an admin passes force=True.
  - decide: confirmed | false_alarm (reason required) | follow_up | dispatched (to whom
    required). Deciding an already decided violation is a Conflict: reopen it first. A
    decision releases the claim. `expected_version` (the version the operator was shown)
    turns a decision on a stale page into a Conflict.
  - reopen needs a comment; comments are audit entries.
  - Every action that changes something appends one audit row with before/after; decide and
    reopen rows also get an event id (sent on as review.decided, and known as seen, so the
    event coming back is a duplicate).
  - Decisions arriving as events apply only when newer than the violation's current decision
    (`decision_ts`); one that arrives before its violation is applied when the violation is
    created. Each one counts in `version` either way, so arrival order never shows.
  - Overdue: marked once per violation, here (mark_overdue) or by a box whose
    `sitewarden.violation.overdue` event arrives (a centre). Both carry the same
    deterministic event id, logged as seen, so whichever comes second is a duplicate. An
    overdue event that arrives before its violation is applied when it is created. Overdue
    is a fact about the past: it stays when the violation is decided or reopened.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select, update

from console.roles import Action, can
from console.store import audit, rows
from console.store.errors import Conflict, Forbidden, InvalidInput
from console.store.model import Decision, FalseAlarmReason
from console.store.scope import Actor, Scope
from console.store.tables import audit as audit_table
from console.store.tables import events_seen, violations
from console.store.tx import Tx
from console.store.wire import (
    REVIEW_TYPE,
    OverdueIn,
    ReviewIn,
    iso_utc,
    new_event_id,
    overdue_event_id,
)
from publisher.events import OVERDUE_TYPE

DECISION_FIELDS = (
    "decision", "decision_reason", "decision_comment", "dispatched_to", "decided_by",
    "decided_at", "decided_ts",
)
_CLEARED = dict.fromkeys(DECISION_FIELDS)


def validate_decision(
    decision: str, reason: str | None, dispatched_to: str | None
) -> tuple[Decision, str | None, str | None]:
    try:
        d = Decision(decision)
    except ValueError:
        raise InvalidInput(
            f"unknown decision {decision!r} (valid: {', '.join(Decision)})"
        ) from None
    if d is Decision.FALSE_ALARM:
        if reason not in set(FalseAlarmReason):
            raise InvalidInput(
                f"a false alarm needs a reason: {', '.join(FalseAlarmReason)}"
            )
    elif reason is not None:
        raise InvalidInput("only a false alarm takes a reason")
    to = (dispatched_to or "").strip() or None
    if d is Decision.DISPATCHED and to is None:
        raise InvalidInput("a dispatched violation needs to whom it was dispatched")
    if d is not Decision.DISPATCHED and to is not None:
        raise InvalidInput("only a dispatched violation takes dispatched_to")
    return d, reason, to


def _require_decide(actor: Actor) -> None:
    if not can(actor.role, Action.DECIDE):
        raise Forbidden(f"role {actor.role} may not review violations")


def _check_claim(row: Row[Any], actor: Actor, force: bool) -> None:
    holder = row.claimed_by
    if holder is None or holder == actor.name:
        return
    if not force:
        raise Conflict(f"claimed by {holder}", holder=holder)
    if not can(actor.role, Action.ADMIN):
        raise Forbidden("only an admin may take over another operator's claim")


def _write(tx: Tx, row: Row[Any], values: dict[str, Any]) -> None:
    tx.conn.execute(
        update(violations).where(violations.c.violation_id == row.violation_id)
        .values(**values, version=row.version + 1, updated_ts=tx.now_ts)
    )
    tx.changes.add("violation", row.violation_id, row.site_id)


def _log(tx: Tx, row: Row[Any], actor: Actor, action: str, **detail: Any) -> None:
    audit.append(tx, actor=actor.name, action=action, detail=detail,
                 violation_id=row.violation_id, site_id=row.site_id)


def claim(tx: Tx, violation_id: str, actor: Actor, force: bool = False) -> None:
    _require_decide(actor)
    row = rows.locked(tx.conn, violation_id, actor.scope)
    _check_claim(row, actor, force)
    if row.claimed_by == actor.name:
        return
    _write(tx, row, {"claimed_by": actor.name, "claimed_at": iso_utc(tx.now_ts),
                     "claimed_ts": tx.now_ts})
    _log(tx, row, actor, "claim", before={"claimed_by": row.claimed_by},
         after={"claimed_by": actor.name}, force=force and row.claimed_by is not None)


def release(tx: Tx, violation_id: str, actor: Actor, force: bool = False) -> None:
    _require_decide(actor)
    row = rows.locked(tx.conn, violation_id, actor.scope)
    if row.claimed_by is None:
        return
    _check_claim(row, actor, force)
    _write(tx, row, {"claimed_by": None, "claimed_at": None, "claimed_ts": None})
    _log(tx, row, actor, "release", before={"claimed_by": row.claimed_by},
         after={"claimed_by": None})


def decide(
    tx: Tx, violation_id: str, actor: Actor, decision: str, *, reason: str | None = None,
    comment: str | None = None, dispatched_to: str | None = None,
    expected_version: int | None = None, force: bool = False,
) -> None:
    _require_decide(actor)
    d, reason, to = validate_decision(decision, reason, dispatched_to)
    row = rows.locked(tx.conn, violation_id, actor.scope)
    if expected_version is not None and row.version != expected_version:
        raise Conflict(f"violation changed (version {row.version}, shown {expected_version})")
    _check_claim(row, actor, force)
    if row.decision is not None:
        raise Conflict(f"already decided ({row.decision}) by {row.decided_by}; reopen first")
    after = {
        "decision": d.value, "decision_reason": reason, "decision_comment": comment or None,
        "dispatched_to": to, "decided_by": actor.name, "decided_at": iso_utc(tx.now_ts),
        "decided_ts": tx.now_ts,
    }
    event_id = new_event_id()
    _write(tx, row, {**after, "decision_ts": tx.now_ts, "decision_event_id": event_id,
                     "claimed_by": None, "claimed_at": None, "claimed_ts": None})
    _log_as_event(tx, row, actor, "decide", event_id, after)


def reopen(tx: Tx, violation_id: str, actor: Actor, comment: str) -> None:
    _require_decide(actor)
    if not comment.strip():
        raise InvalidInput("reopening needs a comment saying why")
    row = rows.locked(tx.conn, violation_id, actor.scope)
    if row.decision is None:
        raise Conflict("not decided; nothing to reopen")
    event_id = new_event_id()
    _write(tx, row, {**_CLEARED, "decision_ts": tx.now_ts, "decision_event_id": event_id})
    _log_as_event(tx, row, actor, "reopen", event_id, dict(_CLEARED), comment=comment)


def _log_as_event(
    tx: Tx, row: Row[Any], actor: Actor, action: str, event_id: str, after: dict[str, Any],
    **extra: Any,
) -> None:
    tx.insert_ignore(events_seen, {"event_id": event_id, "type": REVIEW_TYPE,
                                   "site_id": row.site_id, "box_id": row.box_id,
                                   "received_ts": tx.now_ts})
    detail = {"before": {f: getattr(row, f) for f in DECISION_FIELDS}, "after": after,
              "decision_ts": tx.now_ts, **extra}
    audit.append(tx, actor=actor.name, action=action, detail=detail,
                 violation_id=row.violation_id, site_id=row.site_id, event_id=event_id)


def comment(tx: Tx, violation_id: str, actor: Actor, text: str) -> None:
    _require_decide(actor)
    if not text.strip():
        raise InvalidInput("empty comment")
    row = rows.locked(tx.conn, violation_id, actor.scope)
    _write(tx, row, {})
    _log(tx, row, actor, "comment", comment=text)


def mark_overdue(
    tx: Tx, now_ts: float, after_s: float, scope: Scope, limit: int = 1000
) -> list[str]:
    """Mark unhandled violations that started more than `after_s` before `now_ts` as
    overdue, each once (replicas doing it at once: the row lock makes the second skip the
    rows the first marked). Returns their ids, oldest first; call again while it returns
    `limit` ids."""
    v = violations.c
    stmt = (
        select(violations)
        .where(v.decision.is_(None), v.overdue.is_(False), v.started_ts < now_ts - after_s)
        .order_by(v.started_ts, v.violation_id).limit(limit)
    )
    clause = rows.scope_clause(v.site_id, scope)
    if clause is not None:
        stmt = stmt.where(clause)
    due = tx.conn.execute(stmt.with_for_update()).all()
    system = Actor.system()
    for row in due:
        _write(tx, row, {"overdue": True, "overdue_at": iso_utc(now_ts), "overdue_ts": now_ts})
        eid = overdue_event_id(row.violation_id)
        tx.insert_ignore(events_seen, {"event_id": eid, "type": OVERDUE_TYPE,
                                       "site_id": row.site_id, "box_id": row.box_id,
                                       "received_ts": tx.now_ts})
        audit.append(tx, actor=system.name, action="overdue", event_id=eid,
                     violation_id=row.violation_id, site_id=row.site_id,
                     detail={"after_s": after_s,
                             "unhandled_for_s": round(now_ts - row.started_ts, 3)})
    return [row.violation_id for row in due]


def apply_overdue_event(tx: Tx, o: OverdueIn) -> str | None:
    """A box's escalation: logged once; the violation is overdue from `overdue_at` (the
    earliest wins). An error when it names another site's or box's violation."""
    d = o.data
    row = tx.conn.execute(
        select(violations).where(violations.c.violation_id == d.violation_id).with_for_update()
    ).first()
    if row is not None and (row.site_id, row.box_id) != (d.site_id, d.box_id):
        return (f"violation {d.violation_id} belongs to {row.site_id}/{row.box_id}, "
                f"not {d.site_id}/{d.box_id}")
    logged = audit.append(
        tx, actor=Actor.system().name, action="overdue",
        detail={"after_s": d.after_s, "source": o.env.raw.get("source")},
        violation_id=d.violation_id, site_id=d.site_id, ts=o.overdue_ts, at=d.overdue_at,
        event_id=o.env.event_id,
    )
    if not logged or row is None:
        return None  # logged before, or pending_values applies it when the violation comes
    earlier = not row.overdue or row.overdue_ts is None or o.overdue_ts < row.overdue_ts
    _write(tx, row, {"overdue": True, "overdue_at": d.overdue_at, "overdue_ts": o.overdue_ts}
           if earlier else {})
    return None


def apply_review_event(tx: Tx, r: ReviewIn) -> str | None:
    """A decision made elsewhere: logged once; applied if newer than the current one. An
    error (nothing logged) when it names the violation of another site or box."""
    d = r.data
    row = tx.conn.execute(
        select(violations).where(violations.c.violation_id == d.violation_id).with_for_update()
    ).first()
    if row is not None and (row.site_id, row.box_id) != (d.site_id, d.box_id):
        return (f"violation {d.violation_id} belongs to {row.site_id}/{row.box_id}, "
                f"not {d.site_id}/{d.box_id}")
    after = _event_after(r)
    logged = audit.append(
        tx, actor=d.decided_by, action="decide" if d.action == "decided" else "reopen",
        detail={"after": after, "decision_ts": r.decided_ts, "source": r.env.raw.get("source")},
        violation_id=d.violation_id, site_id=d.site_id, ts=r.decided_ts, at=d.decided_at,
        event_id=r.env.event_id,
    )
    if not logged or row is None:
        # logged before (id pruned from events_seen since), or the violation has not
        # arrived yet: pending_values applies it then
        return None
    current = (row.decision_ts, row.decision_event_id or "")
    newer = row.decision_ts is None or (r.decided_ts, r.env.event_id) > current
    values = (
        {**after, "decision_ts": r.decided_ts, "decision_event_id": r.env.event_id}
        if newer else {}
    )
    if newer and d.action == "decided":
        values.update(claimed_by=None, claimed_at=None, claimed_ts=None)
    _write(tx, row, values)
    return None


def _event_after(r: ReviewIn) -> dict[str, Any]:
    d = r.data
    if d.action == "reopened":
        return dict(_CLEARED)
    return {
        "decision": d.decision.value if d.decision else None, "decision_reason": d.reason,
        "decision_comment": d.comment, "dispatched_to": d.dispatched_to,
        "decided_by": d.decided_by, "decided_at": d.decided_at, "decided_ts": r.decided_ts,
    }


def pending_values(tx: Tx, violation_id: str, site_id: str) -> tuple[dict[str, Any], int]:
    """For a violation being created: what events of its site that arrived before it say
    (the newest decision, the earliest overdue mark) as column values, and how many such
    events there were (they count in `version`)."""
    return pending_many(tx, {violation_id: site_id}).get(violation_id, ({}, 0))


def pending_many(
    tx: Tx, site_by_violation: dict[str, str]
) -> dict[str, tuple[dict[str, Any], int]]:
    """pending_values for many violations being created (an ingest batch), in one query;
    only those with such events are in the answer."""
    found: dict[str, list[Any]] = {}
    vids = sorted(site_by_violation)
    for i in range(0, len(vids), 500):
        for r in _pending_rows(tx, vids[i:i + 500]):
            if r.site_id == site_by_violation[r.violation_id]:
                found.setdefault(r.violation_id, []).append(r)
    return {vid: (_pending(logged), len(logged)) for vid, logged in found.items()}


def _pending_rows(tx: Tx, vids: list[str]) -> Any:
    if tx.db.is_postgres:  # one array parameter: a fixed statement, not IN (500 params)
        return tx.conn.exec_driver_sql(
            "SELECT violation_id, site_id, action, detail, event_id, ts, at FROM audit "
            "WHERE violation_id = ANY(%b::varchar[]) AND event_id IS NOT NULL "
            "AND action IN ('decide', 'reopen', 'overdue')", (vids,))
    a = audit_table.c
    return tx.conn.execute(select(
        a.violation_id, a.site_id, a.action, a.detail, a.event_id, a.ts, a.at,
    ).where(a.violation_id.in_(vids), a.event_id.is_not(None),
            a.action.in_(("decide", "reopen", "overdue"))))


def _pending(logged: list[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    decisions = [r for r in logged if r.action != "overdue"]
    if decisions:
        newest = max(decisions, key=lambda r: (r.detail["decision_ts"], r.event_id))
        values.update(newest.detail["after"], decision_ts=newest.detail["decision_ts"],
                      decision_event_id=newest.event_id)
    overdue = [r for r in logged if r.action == "overdue"]
    if overdue:
        first = min(overdue, key=lambda r: (r.ts, r.event_id))
        values.update(overdue=True, overdue_at=first.at, overdue_ts=first.ts)
    return values
