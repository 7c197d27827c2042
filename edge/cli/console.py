"""`sitewarden console CONSOLE.yaml`: one replica of a monitoring centre's console."""

from __future__ import annotations

import logging
import signal
import threading
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import FrameType

import typer

from edge.cli.check import load_console_or_exit
from edge.cli.common import fail

log = logging.getLogger("sitewarden.console")


def console(
    config: Path = typer.Argument(..., help="the centre's console file (YAML)"),
) -> None:
    """Run one console replica (web pages and API, MQTT ingest, overdue watcher) until
    SIGTERM/SIGINT. Start as many as needed on one database and broker: give each its
    own MQTT client id ($SITEWARDEN_CONSOLE_ID or mqtt.client_id)."""
    cfg = load_console_or_exit(config)
    stop = threading.Event()

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received", signal.Signals(signum).name)
        stop.set()

    # Before the database is opened: a SIGTERM during start-up is a clean stop too.
    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    from console.auth import ensure_first_admin
    from console.centre.replica import Replica

    try:
        replica = Replica(cfg, version=_version())
    except Exception as e:  # unreachable database, bad TLS files: say so and exit 1
        fail(f"cannot start the console: {type(e).__name__}: {e}")
    password = ensure_first_admin(replica.store)
    if password is not None:
        typer.echo(f"created user 'admin' (role admin) with password: {password}\n"
                   "  shown once; change it with `sitewarden users CONSOLE.yaml passwd admin`",
                   err=True)
    try:
        replica.start()
    except OSError as e:
        replica.stop()
        fail(f"http: cannot listen on {cfg.http.host}:{cfg.http.port}: {e.strerror or e}")
    log.info("console replica running%s", f" on {replica.server.url}" if replica.server else "")
    stop.wait()
    log.info("stopping")
    replica.stop()
    log.info("stopped")


def _version() -> str:
    try:
        return version("sitewarden")
    except PackageNotFoundError:
        return ""
