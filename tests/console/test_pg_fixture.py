"""The PostgreSQL fixture fails, never skips, when the server binaries are missing: a store
test that silently dropped its PostgreSQL half would prove nothing about the centre."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pg import PgUnavailable, find_pg_bin

ROOT = Path(__file__).resolve().parents[2]


def test_missing_binaries_are_named_with_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SITEWARDEN_PG_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PgUnavailable, match="apt-get install postgresql"):
        find_pg_bin(search_root=tmp_path)
    monkeypatch.setenv("SITEWARDEN_PG_BIN", str(tmp_path))
    with pytest.raises(PgUnavailable, match="has no initdb and pg_ctl"):
        find_pg_bin()


def test_store_tests_fail_without_postgresql(tmp_path: Path) -> None:
    env = {**os.environ, "SITEWARDEN_PG_BIN": str(tmp_path), "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/console/test_migrations.py::test_fresh_database_is_migrated_to_head_at_open"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 1, r.stdout
    assert "1 passed" in r.stdout and "1 error" in r.stdout, r.stdout  # sqlite ran
    assert "skipped" not in r.stdout
    assert "has no initdb and pg_ctl" in r.stdout
