"""One write transaction's context: the connection, the time of the write, and the changes
it makes (announced after commit, see changes.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table

from console.store.changes import ChangeSet
from console.store.db import Database


@dataclass
class Tx:
    db: Database
    conn: Connection
    now_ts: float
    changes: ChangeSet = field(default_factory=ChangeSet)

    def insert_ignore(self, table: Table, values: dict[str, Any]) -> bool:
        return self.db.insert_ignore(self.conn, table, values)
