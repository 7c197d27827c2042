"""A real PostgreSQL server on a free loopback port, for tests and benchmarks.

    from tests.pg import pg_server, pg_url  # noqa: F401  (in a conftest.py)

`pg_server` (session scope) runs initdb + pg_ctl in a temporary directory and stops the
server at the end of the session; `pg_url` gives each test a fresh, empty database and drops
it afterwards. As root, the server runs as the `postgres` user (PostgreSQL refuses to run as
root). Missing PostgreSQL binaries FAIL the tests that need them, with what to install: a
store test that silently skipped its PostgreSQL half would prove nothing about the centre.

Binaries are looked up in $SITEWARDEN_PG_BIN, then /usr/lib/postgresql/<newest>/bin, then
PATH. The server runs with fsync off: tests need speed, not durability.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

_INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install them "
    "(Debian: apt-get install postgresql) or set SITEWARDEN_PG_BIN to their directory"
)


class PgUnavailable(RuntimeError):
    pass


def find_pg_bin(search_root: Path = Path("/usr/lib/postgresql")) -> Path:
    """The directory with initdb and pg_ctl. $SITEWARDEN_PG_BIN, when set, is the only
    place looked at (pointing at the wrong place should not quietly use another server)."""
    env = os.environ.get("SITEWARDEN_PG_BIN")
    if env:
        if (Path(env) / "initdb").is_file() and (Path(env) / "pg_ctl").is_file():
            return Path(env)
        raise PgUnavailable(f"SITEWARDEN_PG_BIN={env} has no initdb and pg_ctl")
    versions = sorted(
        search_root.glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, reverse=True,
    )
    on_path = shutil.which("pg_ctl")
    candidates = versions + ([Path(on_path).parent] if on_path else [])
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    raise PgUnavailable(_INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One PostgreSQL cluster in `workdir` (created by `start`, removed by `stop`). As root,
    every directory above `workdir` must be reachable by the postgres user; the default, a
    new directory in the system temp dir, is."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.bin = find_pg_bin()
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="sitewarden-pg-"))
        self.data = self.workdir / "data"
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        self._names = itertools.count(1)

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.workdir, pw.pw_uid, pw.pw_gid)
        r = self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--no-sync", "--locale=C")
        if r.returncode != 0:
            raise PgUnavailable(f"initdb failed: {r.stderr.strip()}")
        for _ in range(3):  # the port may be taken between choosing and binding it
            self.port = _free_port()
            if self._pg_ctl_start():
                return
        raise PgUnavailable(f"PostgreSQL did not start; log: {self._log_tail()}")

    def _pg_ctl_start(self) -> bool:
        opts = (f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200")
        r = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "pg.log"),
                      "-o", opts, "-w", "-t", "60", "start")
        return r.returncode == 0

    def _log_tail(self) -> str:
        log = self.workdir / "pg.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.workdir, ignore_errors=True)

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(self.url(), autocommit=True)

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        name = name or f"t{os.getpid()}_{next(self._names)}_{int(time.time() * 1000) % 10**6}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = PgServer()
        server.start()
    except PgUnavailable as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh empty database for one test (postgresql:// URL), dropped afterwards."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)
