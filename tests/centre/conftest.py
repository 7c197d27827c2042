"""Centre fixtures: a real PostgreSQL (tests/pg.py) and a real Mosquitto (persistence on)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import pg_server, pg_url  # noqa: F401  (fixtures)
from tests.publisher.mosquitto import MOSQUITTO, Mosquitto


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    # A failure, not a skip: CI without the broker would pass with the ingest untested.
    if not (shutil.which("mosquitto") or Path(MOSQUITTO).exists()):
        pytest.fail("the centre tests need a real broker: install mosquitto", pytrace=False)
    b = Mosquitto(tmp_path / "broker")
    b.start()
    yield b
    b.kill()
