"""The console's API tests (tests/console/web/test_api_violations.py) once more, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.centre.kit import sqlite_to_postgres
from tests.console.web.test_api_violations import *  # noqa: F403


@pytest.fixture(autouse=True)
def _on_postgresql(pg_url: str) -> Iterator[None]:
    with sqlite_to_postgres(pg_url):
        yield
