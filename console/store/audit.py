"""The append-only audit log: who did what to which violation, when, with before/after.

Rows are only ever inserted (the database refuses UPDATE). A row that came from (or left as)
an event carries that event's id, unique, so a decision delivered twice is logged once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from console.store.model import AuditEntry
from console.store.tables import audit
from console.store.tx import Tx
from console.store.wire import iso_utc


def append(
    tx: Tx, *, actor: str, action: str, detail: dict[str, Any],
    violation_id: str | None = None, site_id: str | None = None,
    ts: float | None = None, at: str | None = None, event_id: str | None = None,
) -> bool:
    """Log one action (at `ts`, default now); False when `event_id` was logged before."""
    when = tx.now_ts if ts is None else ts
    values = {
        "violation_id": violation_id, "site_id": site_id, "ts": when,
        "at": at or iso_utc(when), "actor": actor, "action": action, "detail": detail,
        "event_id": event_id,
    }
    if event_id is not None:
        return tx.insert_ignore(audit, values)
    tx.conn.execute(insert(audit).values(**values))
    return True


def entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=int(row.id), violation_id=row.violation_id, site_id=row.site_id, ts=row.ts,
        at=row.at, actor=row.actor, action=row.action, detail=dict(row.detail),
        event_id=row.event_id,
    )


def of_violation(conn: Connection, violation_id: str, site_id: str) -> list[AuditEntry]:
    """The violation's entries, oldest first (an event naming the same id for another site
    is not its history)."""
    rows = conn.execute(
        select(audit).where(audit.c.violation_id == violation_id, audit.c.site_id == site_id)
        .order_by(audit.c.id)
    ).all()
    return [entry(r) for r in rows]


def of_action(conn: Connection, action: str, site_id: str | None,
              limit: int) -> list[AuditEntry]:
    """The newest entries of one action (e.g. config changes), newest first."""
    q = select(audit).where(audit.c.action == action)
    if site_id is not None:
        q = q.where(audit.c.site_id == site_id)
    rows = conn.execute(q.order_by(audit.c.id.desc()).limit(limit)).all()
    return [entry(r) for r in rows]
