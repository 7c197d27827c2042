"""Alembic environment: always run with the connection that `console.store.migrate` passes
in `config.attributes` (no alembic.ini, no URL of its own)."""

from __future__ import annotations

from alembic import context

from console.store.migrate import ADVISORY_LOCK_KEY
from console.store.tables import metadata

connection = context.config.attributes["connection"]
is_sqlite = connection.dialect.name == "sqlite"
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=is_sqlite,
    compare_type=True,
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Held until commit: a replica starting at the same time waits, then sees head.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
    context.run_migrations()
