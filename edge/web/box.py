"""Putting the console together on a box (`sitewarden run` with an `http:` section)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter

from console.auth import ensure_first_admin
from console.store import Store
from console.web.app import create_app
from console.web.context import ConsoleContext
from console.web.evidence import LocalEvidence
from console.web.overdue import OverdueWatcher
from console.web.server import ConsoleServer
from edge.config import SiteConfig
from edge.config.timezone import site_timezone
from edge.evidence.files import evidence_root
from edge.runtime import Supervisor
from edge.runtime.metrics import CONTENT_TYPE, make_registry, render
from edge.version import software_version
from edge.web.editor import editor_routers

log = logging.getLogger(__name__)


def box_context(cfg: SiteConfig, sup: Supervisor, store: Store,
                extra_routers: list[APIRouter] | None = None) -> ConsoleContext:
    """The console's context on a box; `extra_routers` None: the zone editor's."""
    assert cfg.http is not None
    registry = make_registry(sup.camera_stats)
    return ConsoleContext(
        store=store,
        http=cfg.http,
        timezone=site_timezone(cfg.timezone),
        emit=sup.emit,
        evidence=LocalEvidence(evidence_root(cfg.storage.directory)),
        live=sup,
        zones=lambda camera_id, zone_id: _zone(sup, camera_id, zone_id),
        site_id=cfg.site_id,
        box_id=cfg.box_id,
        title=f"sitewarden {cfg.site_id}/{cfg.box_id}",
        version=software_version(),
        metrics=lambda: (render(registry), CONTENT_TYPE),
        # The zone editor edits the site file the supervisor watches (and so reloads).
        extra_routers=editor_routers(None, sup) if extra_routers is None else extra_routers,
    )


def _zone(sup: Supervisor, camera_id: str, zone_id: str) -> dict[str, Any] | None:
    """The zone as the running configuration has it (edits hot-reload into `sup.cfg`)."""
    for z in sup.cfg.zones_of(camera_id):
        if z.id == zone_id:
            return z.model_dump(mode="json")
    return None


class BoxConsole:
    """The console on http.host:http.port and its overdue watcher; stop() ends both."""

    def __init__(self, cfg: SiteConfig, sup: Supervisor, store: Store) -> None:
        assert cfg.http is not None
        self.ctx = box_context(cfg, sup, store)
        self.server = ConsoleServer(create_app(self.ctx), cfg.http.host, cfg.http.port)
        self.overdue = OverdueWatcher(self.ctx)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> None:
        self.server.start()
        self.overdue.start()

    def stop(self) -> None:
        self.overdue.stop()
        self.server.stop()


def start_console(cfg: SiteConfig, sup: Supervisor, store: Store) -> BoxConsole:
    console = BoxConsole(cfg, sup, store)
    console.start()
    return console


def first_admin(store: Store) -> str | None:
    """On a fresh box: the password of the `admin` just created, to show once (only its
    hash is stored); None when users exist."""
    password = ensure_first_admin(store)
    if password is not None:
        log.warning("first start: created the console user 'admin'")
    return password
