"""PostgreSQL: many rows in one short statement, as one array per column (`unnest`).

Why not SQLAlchemy's multi-row VALUES: its text grows with the rows, so psycopg converts
every such statement anew (its statement cache skips long texts) and SQLAlchemy handles
every bound value; in the centre's ingest that was a fifth of the time. Here the text is
fixed per table and column set (prepared once by the server), the values go as a handful
of arrays. SQLite keeps the portable statements (bulk.py); the rows are the same.

    insert_ignore(conn, table, rows) -> set of inserted primary keys
    update_by_key(conn, table, key, rows)         UPDATE ... FROM unnest(...)
    delete_by_key(conn, table, key, keys)         DELETE ... USING unnest(...)
    select_locked_by_key(conn, table, key, values) SELECT ... WHERE key = ANY(...) FOR UPDATE
    lock_names(conn, names)                       transaction advisory locks, in one order
    try_lock_names(conn, names) -> names held elsewhere (the others are locked)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import JSON, Column, Connection, Row, Table
from sqlalchemy.dialects import postgresql

_DIALECT = postgresql.dialect()


@cache
def _sql_type(column: Column[Any]) -> str:
    return str(column.type.compile(dialect=_DIALECT))


def _arrays(table: Table, cols: Sequence[str], rows: Sequence[dict[str, Any]]) -> list[Any]:
    out: list[Any] = []
    for c in cols:
        is_json = isinstance(table.c[c].type, JSON) or _sql_type(table.c[c]) == "JSONB"
        values = [r[c] for r in rows]
        out.append([None if v is None else Jsonb(v) for v in values] if is_json else values)
    return out


def _unnest(table: Table, cols: Sequence[str], alias: str) -> str:
    casts = ", ".join(f"%b::{_sql_type(table.c[c])}[]" for c in cols)
    return f"unnest({casts}) AS {alias}({', '.join(cols)})"


def insert_ignore(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> set[tuple[Any, ...]]:
    """INSERT ... ON CONFLICT DO NOTHING of every row; the primary keys inserted."""
    if not rows:
        return set()
    cols = list(rows[0])
    key = [c.name for c in table.primary_key.columns]
    sql = (f"INSERT INTO {table.name} ({', '.join(cols)}) "
           f"SELECT {', '.join(cols)} FROM {_unnest(table, cols, 'u')} "
           f"ON CONFLICT DO NOTHING RETURNING {', '.join(key)}")
    result = conn.exec_driver_sql(sql, tuple(_arrays(table, cols, rows)))
    return {tuple(r) for r in result}


def update_by_key(
    conn: Connection, table: Table, key: Sequence[str], rows: Sequence[dict[str, Any]]
) -> None:
    """Set every other column of each row where its `key` columns match."""
    if not rows:
        return
    cols = list(rows[0])
    sets = ", ".join(f"{c} = u.{c}" for c in cols if c not in key)
    match = " AND ".join(f"t.{k} = u.{k}" for k in key)
    sql = f"UPDATE {table.name} AS t SET {sets} FROM {_unnest(table, cols, 'u')} WHERE {match}"
    conn.exec_driver_sql(sql, tuple(_arrays(table, cols, rows)))


def delete_by_key(
    conn: Connection, table: Table, key: Sequence[str], keys: Sequence[tuple[Any, ...]]
) -> None:
    if not keys:
        return
    rows = [dict(zip(key, k, strict=True)) for k in keys]
    match = " AND ".join(f"t.{k} = d.{k}" for k in key)
    sql = f"DELETE FROM {table.name} AS t USING {_unnest(table, key, 'd')} WHERE {match}"
    conn.exec_driver_sql(sql, tuple(_arrays(table, key, rows)))


def select_locked(
    conn: Connection, table: Table, key: Sequence[str], keys: Sequence[tuple[Any, ...]],
    columns: Sequence[str] | None = None,
) -> list[Row[Any]]:
    """The rows whose `key` is one of `keys`, locked (FOR UPDATE) in key order."""
    if not keys:
        return []
    cols = ", ".join(f"t.{c}" for c in (columns or [c.name for c in table.columns]))
    match = " AND ".join(f"t.{k} = w.{k}" for k in key)
    order = ", ".join(f"t.{k}" for k in key)
    rows = [dict(zip(key, k, strict=True)) for k in keys]
    sql = (f"SELECT {cols} FROM {table.name} AS t JOIN {_unnest(table, key, 'w')} ON {match} "
           f"ORDER BY {order} FOR UPDATE OF t")
    return list(conn.exec_driver_sql(sql, tuple(_arrays(table, key, rows))))


def lock_names(conn: Connection, names: Sequence[str]) -> None:
    """Transaction-level advisory locks on `names` (hashed), taken in one order so that two
    transactions locking overlapping sets wait rather than interleave. For what a row lock
    cannot guard: a row that does not exist yet."""
    if not names:
        return
    conn.exec_driver_sql(
        "SELECT count(pg_advisory_xact_lock(h)) FROM (SELECT DISTINCT "
        "hashtextextended(n, 0) AS h FROM unnest(%b::varchar[]) AS n ORDER BY 1) AS s",
        (sorted(set(names)),))


def try_lock_names(conn: Connection, names: Sequence[str]) -> set[str]:
    """The advisory locks of lock_names() for the names no other transaction holds; the
    names another one holds (not waited for: nothing to order, nothing to deadlock)."""
    if not names:
        return set()
    result = conn.exec_driver_sql(
        "SELECT n FROM unnest(%b::varchar[]) AS n "
        "WHERE NOT pg_try_advisory_xact_lock(hashtextextended(n, 0))",
        (sorted(set(names)),))
    return {r[0] for r in result}
