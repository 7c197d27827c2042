"""/health (JSON per camera) and /metrics (Prometheus) on the box's HTTP server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge.config import SiteConfig
from edge.http import HttpServer, Request, Response, json_response
from edge.runtime.metrics import CONTENT_TYPE, make_registry, render
from edge.runtime.supervisor import Supervisor


def mount(server: Any, sup: Supervisor) -> None:
    """Adds the runtime's routes to an edge.http.HttpServer."""
    registry = make_registry(sup.camera_stats)

    def health(_req: Request) -> Response:
        body = sup.health()
        return json_response(body, 200 if body["status"] == "ok" else 503)

    def metrics(_req: Request) -> Response:
        return Response(200, render(registry), CONTENT_TYPE)

    # /health stays open (watchdogs probe it); /metrics names cameras: token needed.
    server.add_route("GET", "/health", health, auth=False)
    server.add_route("GET", "/metrics", metrics, auth=True)


def start_http(cfg: SiteConfig, sup: Supervisor, token: str | None = None) -> HttpServer | None:
    if cfg.http is None or not cfg.http.enabled:
        return None
    from edge.evidence.files import evidence_root

    server = HttpServer(cfg.http, Path(evidence_root(cfg.storage.directory)), token=token)
    mount(server, sup)
    server.start()
    return server
