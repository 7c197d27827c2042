"""`sitewarden run`: the live runtime over every configured camera."""

from __future__ import annotations

import json
import logging
import signal
import threading
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn

import typer

from edge.config import ConfigError, SiteConfig, load_config

log = logging.getLogger("sitewarden.run")


def run(
    config: Path = typer.Argument(..., help="site YAML file"),
    events_out: Path | None = typer.Option(
        None, "--events-out", help="also append every event to this JSON lines file"
    ),
    mqtt: bool = typer.Option(True, "--mqtt/--no-mqtt", help="publish to the configured broker"),
    evidence: bool = typer.Option(True, "--evidence/--no-evidence", help="snapshots and clips"),
) -> None:
    """Run every camera until SIGTERM/SIGINT; zones reload when the file changes."""
    cfg = _load(config)
    with ExitStack() as stack:
        publisher = _publisher(cfg, stack) if mqtt and cfg.mqtt is not None else None
        sup = _supervisor(cfg, config, publisher, evidence)
        if events_out is not None:
            out = stack.enter_context(_open_out(events_out))
            lock = threading.Lock()

            def write(event: dict[str, Any]) -> None:
                with lock:
                    out.write(json.dumps(event) + "\n")
                    out.flush()

            sup.add_listener(write)
        http = _http(cfg, sup)
        if http is not None:
            stack.callback(http.stop)
        _install_signals(sup)
        sup.start()
        try:
            sup.run()
        finally:
            log.info("stopping")
            sup.close(timeout_s=3.0)
    log.info("stopped")


def _load(path: Path) -> SiteConfig:
    try:
        return load_config(path)
    except ConfigError as e:
        _fail(e.render())


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _open_out(path: Path) -> IO[str]:
    try:
        return path.open("a", encoding="utf-8")
    except OSError as e:
        _fail(f"--events-out {path}: cannot open for writing: {e.strerror}")


def _publisher(cfg: SiteConfig, stack: ExitStack) -> Any:
    from edge.components import outbox_path
    from publisher.client import Publisher

    assert cfg.mqtt is not None
    path = outbox_path(cfg)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pub = Publisher(cfg.mqtt, cfg.site_id, cfg.box_id, path)
    except (OSError, ValueError) as e:
        _fail(f"mqtt: cannot start the publisher: {e}")
    pub.start()

    def close() -> None:
        # Unacknowledged events stay in the outbox for the next start: wait only briefly.
        pub.flush(timeout_s=1.5)
        pub.stop(timeout_s=1.5)

    stack.callback(close)
    return pub


def _supervisor(cfg: SiteConfig, path: Path, publisher: Any, evidence: bool) -> Any:
    from edge.runtime import Supervisor
    from models.errors import ModelError

    try:
        return Supervisor(cfg, path, publisher=publisher, evidence=evidence)
    except ModelError as e:
        _fail(f"detector: {e}")


def _http(cfg: SiteConfig, sup: Any) -> Any:
    from edge.http import HttpTokenMissing
    from edge.runtime.http import start_http

    try:
        return start_http(cfg, sup)
    except HttpTokenMissing as e:
        _fail(str(e))
    except OSError as e:
        assert cfg.http is not None
        _fail(f"http: cannot listen on {cfg.http.host}:{cfg.http.port}: {e.strerror}")


def _install_signals(sup: Any) -> None:
    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received", signal.Signals(signum).name)
        sup.stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
