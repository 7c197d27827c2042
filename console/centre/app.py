"""The centre's web app: the console's app (console.web.app.create_app) with a centre
context: evidence from the object store, the fleet board, no box of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from console.centre.config import ConsoleConfig
from console.centre.evidence import ObjectStoreEvidence
from console.centre.fleet import fleet_router
from console.store import Store
from console.web.app import create_app
from console.web.context import ConsoleContext

Stats = Callable[[], dict[str, Any]]


class CentreHealth:
    """`LiveStatus` for /health: the store must answer; the ingest's link and database
    state are reported (a replica whose ingest is down still serves pages)."""

    def __init__(self, store: Store, ingest_stats: Stats | None,
                 link_stats: Stats | None) -> None:
        self.store = store
        self._ingest, self._link = ingest_stats, link_stats

    def health(self) -> dict[str, Any]:
        ok = self.store.ping()
        body: dict[str, Any] = {"status": "ok" if ok else "degraded", "store": ok}
        if self._link is not None:
            body["mqtt"] = self._link().get("state")
        if self._ingest is not None:
            body["ingest_database"] = self._ingest().get("database")
        return body

    def camera_stats(self) -> list[dict[str, Any]]:
        return []  # a centre runs no cameras


def centre_context(
    cfg: ConsoleConfig, store: Store, *, ingest_stats: Stats | None = None,
    link_stats: Stats | None = None, version: str = "",
) -> ConsoleContext:
    evidence = ObjectStoreEvidence(cfg.evidence) if cfg.evidence is not None else None
    return ConsoleContext(
        store=store, http=cfg.http, timezone=ZoneInfo(cfg.timezone), evidence=evidence,
        live=CentreHealth(store, ingest_stats, link_stats), title=cfg.title, version=version,
        extra_routers=[fleet_router(ingest_stats)],
    )


def create_centre_app(
    cfg: ConsoleConfig, store: Store, *, ingest_stats: Stats | None = None,
    link_stats: Stats | None = None, version: str = "",
) -> FastAPI:
    return create_app(centre_context(cfg, store, ingest_stats=ingest_stats,
                                     link_stats=link_stats, version=version))
