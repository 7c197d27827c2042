"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from console.store import Store
from tests.console.helpers import Clock
from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'console.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[Store]:
    s = Store.open(db_url, clock=clock)
    yield s
    s.close()
