"""The console's FastAPI app: routes, the authentication boundary, security headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from console.roles import Action
from console.store import Conflict, Forbidden, InvalidInput, NotFound
from console.web import api, pages, routes_auth
from console.web.context import ConsoleContext
from console.web.pages_base import render
from console.web.security import NotAllowed, NotAuthenticated, Principal, require, resolve
from console.web.stream import StreamHub

STATIC = Path(__file__).resolve().parent / "static"
# Pages load only their own scripts and styles; evidence may come from the object store
# (presigned URLs at the centre), hence any https/http origin for images and video.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob: https: http:; media-src 'self' blob: https: http:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def create_app(ctx: ConsoleContext) -> FastAPI:
    app = FastAPI(title=f"{ctx.title} console", version=ctx.version or "0",
                  docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.state.ctx = ctx
    app.state.streams = StreamHub(ctx)  # ConsoleServer.stop() closes it before uvicorn's
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(routes_auth.router)
    for router in [*api.routers(), *pages.routers()]:
        app.include_router(router)
    if ctx.evidence is not None and hasattr(ctx.evidence, "router"):
        app.include_router(ctx.evidence.router())
    for router in ctx.extra_routers:
        app.include_router(router)
    _add_docs(app)
    _add_health(app, ctx)
    _add_error_handlers(app)
    app.middleware("http")(_security_headers)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Servers that run the lifespan (TestClient, a plain uvicorn) end the streams at
    shutdown; ConsoleServer runs without it and closes them itself."""
    yield
    await asyncio.to_thread(app.state.streams.close)


def _add_health(app: FastAPI, ctx: ConsoleContext) -> None:
    @app.get("/health", tags=["box"])
    def health(request: Request) -> Response:
        """Open to anyone (watchdogs, load balancers): 503 while a part is degraded. The
        details (camera errors, the broker, config errors, counters) need a login."""
        if ctx.live is not None:
            body = ctx.live.health()
            code = 200 if body.get("status") == "ok" else 503
            return JSONResponse(body if resolve(request) is not None else public_health(body),
                                status_code=code)
        ok = ctx.store.ping()
        return JSONResponse({"status": "ok" if ok else "degraded", "store": ok},
                            status_code=200 if ok else 503)

    @app.get("/metrics", tags=["box"])
    def metrics(_: Principal = Depends(require(Action.READ))) -> Response:
        if ctx.metrics is None:
            return Response("", media_type="text/plain")
        body, content_type = ctx.metrics()
        return Response(body, media_type=content_type)


def public_health(body: dict[str, Any]) -> dict[str, Any]:
    """What anyone may read: the verdict, which parts and cameras are not ok and why in a
    word; not the camera errors, broker address, config errors or counters behind it."""
    parts = {name: {k: p[k] for k in ("state", "reason") if k in p}
             for name, p in (body.get("parts") or {}).items()}
    cameras = [{k: c[k] for k in ("camera_id", "state") if k in c}
               for c in body.get("cameras") or []]
    return {"status": body.get("status"), "site_id": body.get("site_id"),
            "box_id": body.get("box_id"), "parts": parts, "cameras": cameras}


def _add_docs(app: FastAPI) -> None:
    """The OpenAPI document and a page listing it, behind the login like the rest."""

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(_: Principal = Depends(require(Action.READ))) -> dict[str, Any]:
        return get_openapi(title=app.title, version=app.version, routes=app.routes)

    @app.get("/api/docs", include_in_schema=False)
    def docs(request: Request, _: Principal = Depends(require(Action.READ))) -> Response:
        spec = get_openapi(title=app.title, version=app.version, routes=app.routes)
        return render(request, "api_docs.html", {"spec": spec})


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    def not_authenticated(request: Request, _: NotAuthenticated) -> Response:
        if _wants_page(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return JSONResponse({"detail": "login required"}, status_code=401,
                            headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(NotAllowed)
    def not_allowed(request: Request, e: NotAllowed) -> Response:
        return _error(request, 403, e.reason)

    @app.exception_handler(Forbidden)
    def forbidden(request: Request, e: Forbidden) -> Response:
        return _error(request, 403, str(e))

    @app.exception_handler(NotFound)
    def not_found(request: Request, e: NotFound) -> Response:
        return _error(request, 404, str(e))

    @app.exception_handler(Conflict)
    def conflict(request: Request, e: Conflict) -> Response:
        holder = getattr(e, "holder", None)
        return JSONResponse({"detail": str(e), "holder": holder}, status_code=409)

    @app.exception_handler(InvalidInput)
    def invalid(request: Request, e: InvalidInput) -> Response:
        return JSONResponse({"detail": str(e)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    def validation(request: Request, e: RequestValidationError) -> Response:
        errors = [{"loc": list(err["loc"]), "msg": err["msg"]} for err in e.errors()]
        return JSONResponse({"detail": errors}, status_code=422)


def _error(request: Request, status: int, detail: str) -> Response:
    if _wants_page(request):
        return render(request, "error.html", {"status": status, "detail": detail},
                      status=status)
    return JSONResponse({"detail": detail}, status_code=status)


def _wants_page(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/evidence/")) or path == "/metrics":
        return False
    return "text/html" in request.headers.get("accept", "")


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", CSP)
    if request.url.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
