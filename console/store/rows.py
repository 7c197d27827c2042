"""Reading violations rows: the columns callers see, row -> Violation, scoped lookups."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, false, select

from console.store.errors import NotFound
from console.store.model import Violation
from console.store.scope import Scope
from console.store.tables import violations

_FIELDS = [f.name for f in fields(Violation)]
VIOLATION_COLUMNS = [violations.c[name] for name in _FIELDS]


def to_violation(row: Row[Any]) -> Violation:
    m = row._mapping
    values = {name: m[name] for name in _FIELDS}
    values["overdue"] = bool(values["overdue"])
    values["evidence_ready"] = bool(values["evidence_ready"])
    return Violation(**values)


def scope_clause(column: Any, scope: Scope) -> ColumnElement[bool] | None:
    """The WHERE clause restricting `column` (a site_id column) to the scope; None: all."""
    if scope.sites is None:
        return None
    if not scope.sites:
        return false()
    clause: ColumnElement[bool] = column.in_(sorted(scope.sites))
    return clause


def locked(conn: Connection, violation_id: str, scope: Scope) -> Row[Any]:
    """The full row, locked for update; NotFound if absent or outside the scope."""
    stmt = select(violations).where(violations.c.violation_id == violation_id)
    row = conn.execute(stmt.with_for_update()).first()
    if row is None or not scope.allows(row.site_id):
        raise NotFound(f"no violation {violation_id!r}")
    return row


def get(conn: Connection, violation_id: str, scope: Scope) -> Violation:
    stmt = select(*VIOLATION_COLUMNS).where(violations.c.violation_id == violation_id)
    clause = scope_clause(violations.c.site_id, scope)
    if clause is not None:
        stmt = stmt.where(clause)
    row = conn.execute(stmt).first()
    if row is None:
        raise NotFound(f"no violation {violation_id!r}")
    return to_violation(row)
