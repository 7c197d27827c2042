"""One HTTP server per box, on the standard library's ThreadingHTTPServer.

Why the standard library: the box serves a handful of operators and one scraper; evidence
files are streamed from disk with Range support in a few dozen lines, and there is no
dependency to patch on a device that is rarely updated. Each request gets a thread (daemon),
and a socket timeout bounds a slow client.

Authentication: `Authorization: Bearer <token>`, the token read from the environment variable
named by `http.token_env`, compared in constant time. Evidence and the violation list always
need it. /health is open by default (watchdogs and load balancers probe it; it says only
whether the box is well); /metrics needs the token by default (it names cameras and zones).
`add_route(..., auth=...)` changes either.

A browser's <video> element cannot send a header, so evidence URLs can also be signed:
`sign(path, ttl_s)` appends `exp` (unix time) and `sig` (HMAC-SHA256 of path and expiry, keyed
with the token); the review page asks /api/violations with its token and gets signed URLs that
play and seek without one until they expire.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from edge.config.site import HttpConfig
from edge.http.files import serve_file

log = logging.getLogger(__name__)
_SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

EVIDENCE_PREFIX = "/evidence/"
SIGNED_URL_TTL_S = 3600


class HttpTokenMissing(ValueError):
    """The token variable is unset: refuse to start rather than serve evidence openly."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/octet-stream"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


def json_response(obj: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(obj).encode(), "application/json")


def text_response(text: str, status: int = 200, content_type: str = "text/plain") -> Response:
    return Response(status, text.encode(), f"{content_type}; charset=utf-8")


@dataclass(frozen=True)
class _Route:
    handler: Handler
    auth: bool


class HttpServer:
    """`start()` serves on a thread (or `run()` blocks); `stop()` shuts down and frees the port."""

    def __init__(
        self,
        config: HttpConfig,
        evidence_root: Path,
        token: str | None = None,
        list_violations: Callable[[int, str | None], list[dict[str, Any]]] | None = None,
    ) -> None:
        token = token if token is not None else os.environ.get(config.token_env, "")
        if not token:
            raise HttpTokenMissing(
                f"http: environment variable {config.token_env} is not set or empty; "
                "set it to the bearer token operators use (the file never holds secrets)"
            )
        self._token = token.encode()
        self.config = config
        self.evidence_root = evidence_root.resolve()
        self._routes: dict[tuple[str, str], _Route] = {}
        self._list = list_violations or self._default_list
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add_route("GET", "/health", lambda _r: json_response({"status": "ok"}), auth=False)
        self.add_route("GET", "/api/violations", self._violations, auth=True)

    def add_route(self, method: str, path: str, handler: Handler, auth: bool = True) -> None:
        """Exact-path route; a later registration replaces an earlier one (e.g. /health)."""
        self._routes[(method.upper(), path)] = _Route(handler, auth)

    # ---- lifecycle -----------------------------------------------------------------------
    def _bind(self) -> ThreadingHTTPServer:
        if self._httpd is None:
            self._httpd = ThreadingHTTPServer((self.config.host, self.config.port), _handler(self))
            self._httpd.daemon_threads = True
        return self._httpd

    @property
    def port(self) -> int:
        return int(self._bind().server_address[1])

    def run(self) -> None:
        httpd = self._bind()
        log.info("http: serving on %s:%d", self.config.host, self.port)
        httpd.serve_forever(poll_interval=0.2)

    def start(self) -> None:
        self._bind()
        self._thread = threading.Thread(target=self.run, name="http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is None:
            return
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5.0)
            self._thread = None
        self._httpd.server_close()
        self._httpd = None

    # ---- request handling ----------------------------------------------------------------
    def authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return False
        return hmac.compare_digest(presented.strip().encode(), self._token)

    def _signature(self, path: str, exp: int) -> str:
        return hmac.new(self._token, f"{path}\n{exp}".encode(), hashlib.sha256).hexdigest()

    def sign(self, path: str, ttl_s: float = SIGNED_URL_TTL_S) -> str:
        """`path?exp=..&sig=..`: fetchable without the token until `ttl_s` from now."""
        exp = int(time.time() + ttl_s)
        return f"{path}?exp={exp}&sig={self._signature(path, exp)}"

    def signature_ok(self, path: str, query: dict[str, list[str]]) -> bool:
        try:
            exp = int(query.get("exp", [""])[0])
        except ValueError:
            return False
        sig = query.get("sig", [""])[0]
        if exp < time.time() or not sig:
            return False
        return hmac.compare_digest(sig.encode(), self._signature(path, exp).encode())

    def route(self, method: str, path: str) -> tuple[Handler | None, bool]:
        """(handler, needs_auth); handler None means 404."""
        r = self._routes.get((method, path))
        if r is None and method == "HEAD":
            r = self._routes.get(("GET", path))
        if r is not None:
            return r.handler, r.auth
        return None, True

    def _violations(self, req: Request) -> Response:
        try:
            limit = min(500, max(1, int(req.query.get("limit", ["50"])[0])))
        except ValueError:
            return json_response({"error": "limit must be an integer"}, 400)
        camera = req.query.get("camera", [None])[0]
        if camera is not None and not _SAFE_PART.fullmatch(camera):
            # the value becomes one level of a glob pattern: no separators, wildcards or ..
            return json_response({"error": "camera must be a camera id"}, 400)
        items = self._list(limit, camera)
        for item in items:
            self._add_signed_urls(item.get("evidence") or {})
        return json_response({"violations": items})

    def _add_signed_urls(self, evidence: dict[str, Any]) -> None:
        for key in ("snapshot", "clip", "best"):
            ref = evidence.get(key)
            if isinstance(ref, dict) and isinstance(ref.get("url"), str):
                ref["signed_url"] = self.sign(ref["url"])
                raw = ref.get("raw")
                if isinstance(raw, dict) and isinstance(raw.get("url"), str):
                    raw["signed_url"] = self.sign(raw["url"])

    def _default_list(self, limit: int, camera: str | None) -> list[dict[str, Any]]:
        from edge.evidence.index import list_violations

        return list_violations(self.evidence_root, limit, camera)

    def evidence_file(self, rel: str) -> Path | None:
        """The file under the evidence root that `rel` names, or None (traversal, tmp, dir)."""
        parts = rel.split("/")
        if "\x00" in rel or any(p in ("", ".", "..") or p.startswith(".") for p in parts):
            return None
        path = (self.evidence_root / Path(*parts)).resolve()
        if not path.is_relative_to(self.evidence_root) or not path.is_file():
            return None
        return path


def _handler(server: HttpServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        timeout = 30
        server_version = "sitewarden"
        sys_version = ""

        def do_GET(self) -> None:
            self._dispatch(head=False)

        def do_HEAD(self) -> None:
            self._dispatch(head=True)

        def _dispatch(self, head: bool) -> None:
            url = urlsplit(self.path)
            path = unquote(url.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            if path.startswith(EVIDENCE_PREFIX):
                signed = server.signature_ok(path, parse_qs(url.query))
                self._evidence(path[len(EVIDENCE_PREFIX):], headers, head, signed)
                return
            handler, auth = server.route(self.command, path)
            if auth and not server.authorized(headers):
                self._unauthorized()
                return
            if handler is None:
                self._send(json_response({"error": "not found"}, 404), head)
                return
            req = Request(self.command, path, parse_qs(url.query), headers)
            try:
                resp = handler(req)
            except Exception:
                log.exception("http: handler for %s failed", path)
                resp = json_response({"error": "internal error"}, 500)
            self._send(resp, head)

        def _evidence(self, rel: str, headers: dict[str, str], head: bool, signed: bool) -> None:
            if not (signed or server.authorized(headers)):
                self._unauthorized()
                return
            file = server.evidence_file(rel)
            if file is None:
                self._send(json_response({"error": "not found"}, 404), head)
                return
            serve_file(self, file, headers.get("range"), head)

        def _unauthorized(self) -> None:
            resp = json_response({"error": "unauthorized"}, HTTPStatus.UNAUTHORIZED)
            resp.headers["WWW-Authenticate"] = 'Bearer realm="sitewarden"'
            self._send(resp, head=self.command == "HEAD")

        def _send(self, resp: Response, head: bool) -> None:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            self.send_header("Cache-Control", "no-store")
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.end_headers()
            if not head:
                self.wfile.write(resp.body)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("http %s: " + format, self.address_string(), *args)

    return _Handler
