"""Putting the console together on a box (`sitewarden run` with an `http:` section)."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from console.auth import ensure_first_admin
from console.store import Store
from console.web.app import create_app
from console.web.context import ConsoleContext
from console.web.evidence import LocalEvidence
from console.web.server import ConsoleServer
from edge.config import SiteConfig
from edge.config.timezone import site_timezone
from edge.evidence.files import evidence_root
from edge.runtime import Supervisor
from edge.runtime.metrics import CONTENT_TYPE, make_registry, render

log = logging.getLogger(__name__)


def software_version() -> str:
    try:
        return version("sitewarden")
    except PackageNotFoundError:
        return "dev"


def box_context(cfg: SiteConfig, sup: Supervisor, store: Store) -> ConsoleContext:
    assert cfg.http is not None
    registry = make_registry(sup.camera_stats)
    return ConsoleContext(
        store=store,
        http=cfg.http,
        timezone=site_timezone(cfg.timezone),
        emit=sup.emit,
        evidence=LocalEvidence(evidence_root(cfg.storage.directory)),
        live=sup,
        title=f"sitewarden {cfg.site_id}/{cfg.box_id}",
        version=software_version(),
        metrics=lambda: (render(registry), CONTENT_TYPE),
    )


def start_console(cfg: SiteConfig, sup: Supervisor, store: Store) -> ConsoleServer:
    """The console on http.host:http.port."""
    assert cfg.http is not None
    server = ConsoleServer(create_app(box_context(cfg, sup, store)), cfg.http.host,
                           cfg.http.port)
    server.start()
    return server


def first_admin(store: Store) -> str | None:
    """On a fresh box: the password of the `admin` just created, to show once (only its
    hash is stored); None when users exist."""
    password = ensure_first_admin(store)
    if password is not None:
        log.warning("first start: created the console user 'admin'")
    return password
