"""`sitewarden run`: the live runtime over every configured camera."""

from __future__ import annotations

import logging
import signal
from contextlib import ExitStack
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from edge.cli.common import fail, jsonl_sink, load_or_exit, open_publisher
from edge.config import SiteConfig

if TYPE_CHECKING:  # the runtime imports onnxruntime and PyAV: loaded by `run` only
    from edge.runtime import Supervisor
    from edge.runtime.boxhealth import BoxHealth

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
    stopper = _Stopper()  # first: a SIGTERM during start-up is a clean stop too
    from edge.runtime.boxhealth import BoxHealth

    cfg = load_or_exit(config)
    health = BoxHealth(cfg.site_id, cfg.box_id)
    with ExitStack() as stack:
        publisher = stack.enter_context(open_publisher(cfg, health.reporter("outbox"))) \
            if mqtt and cfg.mqtt is not None else None
        sup = _supervisor(cfg, config, publisher, evidence, health)
        if events_out is not None:
            sup.add_listener(stack.enter_context(jsonl_sink(events_out, append=True)))
        if cfg.http is not None and cfg.http.enabled:
            stack.callback(_console(cfg, sup).stop)
        stopper.attach(sup)
        sup.start()
        try:
            sup.run()
        finally:
            log.info("stopping")
            sup.close(timeout_s=3.0)
    log.info("stopped")


def _supervisor(cfg: SiteConfig, path: Path, publisher: Any, evidence: bool,
                health: BoxHealth) -> Supervisor:
    from edge.runtime import Supervisor
    from models.errors import ModelError

    try:
        return Supervisor(cfg, path, publisher=publisher, evidence=evidence, box_health=health)
    except ModelError as e:
        fail(f"detector: {e}")


class _Console:
    """The console starts with the box, or as soon as its store can be opened (a box that
    starts on a full disk runs without it until then)."""

    def __init__(self, cfg: SiteConfig, sup: Supervisor) -> None:
        self.cfg, self.sup = cfg, sup
        self.server: Any = None
        self.start()
        if self.server is None:
            sup.add_housekeeping(self.start)

    def start(self) -> None:
        from edge.web.box import first_admin, start_console

        ls = self.sup.local_store
        if self.server is not None or ls is None or ls.store is None:
            return
        assert self.cfg.http is not None
        try:
            self.server = start_console(self.cfg, self.sup, ls.store)
        except OSError as e:
            fail(f"http: cannot listen on {self.cfg.http.host}:{self.cfg.http.port}: "
                 f"{e.strerror}")
        password = first_admin(ls.store)
        if password is not None:
            typer.echo(f"\nsitewarden console: open {self.server.url} and log in as admin "
                       f"with the password {password}\n(shown once; change it with "
                       "`sitewarden users SITE.yaml passwd admin`)\n")

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def _console(cfg: SiteConfig, sup: Supervisor) -> _Console:
    return _Console(cfg, sup)


class _Stopper:
    """SIGTERM/SIGINT stop the supervisor; one that arrives before it exists (models still
    loading) stops it as soon as it does."""

    def __init__(self) -> None:
        self._sup: Supervisor | None = None
        self._requested = False
        signal.signal(signal.SIGTERM, self._handle)
        signal.signal(signal.SIGINT, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log.info("%s received", signal.Signals(signum).name)
        self._requested = True
        if self._sup is not None:
            self._sup.stop()

    def attach(self, sup: Supervisor) -> None:
        self._sup = sup
        if self._requested:
            sup.stop()
