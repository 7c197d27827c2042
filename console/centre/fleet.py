"""The fleet board: every box and camera of the sites a user may see, at a glance.

    GET /api/fleet     JSON (the contract; integrations and the page read it)
    GET /fleet         the page

Per box: online/offline from the retained status and its Last Will (with the reason), when
it was last heard from, software version, model, config version, outbox backlog and alarms
(from its status payload, publisher/status.py), health (sitewarden.box.* events), and
completeness: the last CloudEvents sequence received and the gaps before it. Per camera: its
state. Per site: unhandled and overdue violations. A scoped user sees only their sites; the
ingest's own counters (all sites together) are shown to users who see every site.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from console.centre.i18n import centre_translator
from console.roles import Action
from console.store import Box, Camera, Scope, SiteCounts, Store
from console.web.i18n import LANGUAGES, negotiate, translator
from console.web.pages_base import local_time
from console.web.security import Principal, context, require

IngestStats = Callable[[], dict[str, Any]]
_HERE = Path(__file__).resolve().parent
_TEMPLATES = Jinja2Templates(env=Environment(
    loader=ChoiceLoader([FileSystemLoader(str(_HERE / "templates")),
                         FileSystemLoader(str(_HERE.parent / "web" / "templates"))]),
    autoescape=select_autoescape(["html"])))


def fleet_router(ingest_stats: IngestStats | None = None) -> APIRouter:
    router = APIRouter()

    @router.get("/api/fleet", tags=["fleet"])
    def fleet_json(request: Request,
                   principal: Principal = Depends(require(Action.READ))) -> dict[str, Any]:
        """Boxes, cameras and per-site counts of the caller's sites."""
        return fleet(context(request).store, principal.scope, ingest_stats)

    @router.get("/fleet", response_class=HTMLResponse, include_in_schema=False)
    def fleet_page(request: Request,
                   principal: Principal = Depends(require(Action.READ))) -> HTMLResponse:
        return _render(request, principal,
                       fleet(context(request).store, principal.scope, ingest_stats))

    return router


def fleet(store: Store, scope: Scope, ingest_stats: IngestStats | None = None) -> dict[str, Any]:
    boxes, cameras = store.boxes(scope), store.cameras(scope)
    counts = store.counts_by_site(scope)
    out: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "summary": _summary(boxes, cameras, counts),
        "sites": _sites(boxes, cameras, counts),
        "boxes": [_box(b) for b in boxes],
        "cameras": [_camera(c) for c in cameras],
    }
    if ingest_stats is not None and scope.is_all:
        out["ingest"] = ingest_stats()
    return out


def _summary(boxes: list[Box], cameras: list[Camera], counts: list[SiteCounts]) -> dict[str, int]:
    states = [b.state for b in boxes]
    return {
        "boxes": len(boxes), "online": states.count("online"),
        "offline": states.count("offline"),
        "unknown": len(states) - states.count("online") - states.count("offline"),
        "degraded": sum(b.health != "ok" for b in boxes),
        "cameras": len(cameras), "cameras_online": sum(c.state == "online" for c in cameras),
        "unhandled": sum(c.unhandled for c in counts),
        "overdue": sum(c.overdue for c in counts),
        "missing_events": sum(b.missing for b in boxes),
    }


def _sites(
    boxes: list[Box], cameras: list[Camera], counts: list[SiteCounts]
) -> list[dict[str, Any]]:
    sites: dict[str, dict[str, Any]] = defaultdict(lambda: dict.fromkeys(
        ("boxes", "online", "offline", "cameras", "cameras_online", "unhandled", "overdue",
         "missing_events"), 0))
    for b in boxes:
        s = sites[b.site_id]
        s["boxes"] += 1
        s["online"] += b.state == "online"
        s["offline"] += b.state == "offline"
        s["missing_events"] += b.missing
    for c in cameras:
        sites[c.site_id]["cameras"] += 1
        sites[c.site_id]["cameras_online"] += c.state == "online"
    for n in counts:
        sites[n.site_id]["unhandled"] = n.unhandled
        sites[n.site_id]["overdue"] = n.overdue
    return [{"site_id": k, **v} for k, v in sorted(sites.items())]


def _box(b: Box) -> dict[str, Any]:
    status = b.status
    return {
        "site_id": b.site_id, "box_id": b.box_id, "state": b.state, "since": b.since,
        "reason": status.get("reason") if b.state == "offline" else None,
        "last_seen_at": _iso(b.last_seen_ts), "last_seen_ts": b.last_seen_ts,
        "health": b.health, "health_since": b.health_since, "health_detail": b.health_detail,
        "software_version": b.software_version, "model": b.model,
        "config_version": b.config_version, "outbox_backlog": b.outbox_backlog,
        "alarms": status.get("alarms") or [],
        "last_sequence": b.last_sequence, "missing_events": b.missing,
        "gaps": [{"first": g.first, "last": g.last} for g in b.gaps],
    }


def _camera(c: Camera) -> dict[str, Any]:
    return {"site_id": c.site_id, "box_id": c.box_id, "camera_id": c.camera_id,
            "state": c.state, "since": c.since, "detail": c.detail}


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


def _render(request: Request, principal: Principal, data: dict[str, Any]) -> HTMLResponse:
    """The page, with what base.html expects (as console/web/pages_base.render gives it)."""
    ctx = context(request)
    lang = negotiate(request, ctx.http.language)
    page = {
        "request": request, "lang": lang, "languages": LANGUAGES, "_": translator(lang),
        "t": centre_translator(lang), "principal": principal,
        "csrf_token": principal.csrf_token, "title": ctx.title, "version": ctx.version,
        "tz": ctx.timezone.key, "local_time": lambda iso: local_time(iso, ctx.timezone),
        "fleet": data,
    }
    return _TEMPLATES.TemplateResponse(request, "fleet.html", page)
