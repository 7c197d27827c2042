"""The JSON API under test: an app over a store, API tokens for each role, captured events.

    api = make_api(store, tmp_path)       # TestClient-backed, bearer tokens
    api.get("/api/violations", who="viewer")
"""

from __future__ import annotations

import contextlib
import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi.testclient import TestClient

from console.auth import Passwords, add_user, create_token
from console.settings import HttpConfig
from console.store import Store
from console.web.app import create_app
from console.web.context import ConsoleContext
from console.web.evidence import LocalEvidence
from publisher.events import Event
from tests.console.helpers import SITE

OTHER_SITE = "plant-9"
# who -> (role, sites); "scoped" sees only SITE
ROLES: dict[str, tuple[str, list[str] | None]] = {
    "admin": ("admin", None), "op": ("operator", None), "op2": ("operator", None),
    "viewer": ("viewer", None), "scoped": ("operator", [SITE]),
}
PASSWORDS = {name: f"{name} password 1" for name in ROLES}


@dataclass
class Api:
    client: TestClient
    store: Store
    ctx: ConsoleContext
    tokens: dict[str, str]
    emitted: list[Event] = field(default_factory=list)

    def headers(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str | None = "op", **kw: Any) -> httpx.Response:
        return self.client.get(path, headers=self.headers(who), **kw)

    def post(self, path: str, who: str | None = "op", **kw: Any) -> httpx.Response:
        return self.client.post(path, headers=self.headers(who), **kw)

    def put(self, path: str, who: str | None = "admin", **kw: Any) -> httpx.Response:
        return self.client.put(path, headers=self.headers(who), **kw)

    def delete(self, path: str, who: str | None = "admin", **kw: Any) -> httpx.Response:
        return self.client.delete(path, headers=self.headers(who), **kw)

    def ok(self, response: httpx.Response) -> Any:
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()


def make_context(store: Store, evidence_root: Path, *, http: HttpConfig | None = None,
                 **kw: Any) -> ConsoleContext:
    return ConsoleContext(store=store, http=http or HttpConfig(),
                          timezone=ZoneInfo("Asia/Shanghai"),
                          evidence=LocalEvidence(evidence_root), **kw)


def add_people(store: Store, *, with_users: bool = False) -> dict[str, str]:
    """An API token per role (fast: no password hashing); users too when asked."""
    tokens = {}
    for who, (role, sites) in ROLES.items():
        tokens[who] = create_token(store, f"t-{who}", role, sites)
        if with_users:
            add_user(store, who, PASSWORDS[who], role, sites, passwords=Passwords.cheap())
    return tokens


@contextmanager
def running_api(store: Store, tmp_path: Path, *, with_users: bool = False,
                **ctx_kw: Any) -> Iterator[Api]:
    emitted: list[Event] = []
    ctx = make_context(store, tmp_path / "evidence", emit=emitted.append, **ctx_kw)
    tokens = add_people(store, with_users=with_users)
    with TestClient(create_app(ctx)) as client:
        yield Api(client, store, ctx, tokens, emitted)


class SseClient:
    """Reads GET /api/stream in a thread: `next(event)` waits for the next message of that
    event; `connected` is set once the server said changes are delivered from now on."""

    def __init__(self, base_url: str, token: str) -> None:
        self.events: queue.Queue[tuple[str, Any, float]] = queue.Queue()
        self.connected = threading.Event()
        self.ended = threading.Event()
        self.status: int | None = None
        self._response: httpx.Response | None = None
        self._client = httpx.Client(base_url=base_url, timeout=httpx.Timeout(10.0, read=None))
        self._thread = threading.Thread(target=self._run, args=(token,), daemon=True)
        self._thread.start()

    def _run(self, token: str) -> None:
        try:
            with self._client.stream("GET", "/api/stream",
                                     headers={"Authorization": f"Bearer {token}"}) as r:
                self._response, self.status = r, r.status_code
                if r.status_code == 200:
                    self._read(r)
        except (httpx.HTTPError, OSError, RuntimeError, AttributeError):
            pass  # closed under the reader: how close() ends it
        finally:
            self.ended.set()

    def _read(self, r: httpx.Response) -> None:
        event, data = None, []
        for line in r.iter_lines():
            if line == ": connected":
                self.connected.set()
            elif line.startswith(":"):
                self.events.put(("comment", line[1:].strip(), time.monotonic()))
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif line == "" and event is not None:
                self.events.put((event, json.loads("".join(data)), time.monotonic()))
                event, data = None, []

    def wait_connected(self, timeout_s: float = 10.0) -> SseClient:
        assert self.connected.wait(timeout_s), f"stream not connected (status {self.status})"
        return self

    def next(self, event: str = "violation", timeout_s: float = 2.0,
             where: Callable[[Any], bool] = lambda _: True) -> tuple[Any, float]:
        """The data and arrival time (monotonic) of the next matching message."""
        _, data, at = self.until(event, timeout_s, where)[-1]
        return data, at

    def until(self, event: str = "violation", timeout_s: float = 2.0,
              where: Callable[[Any], bool] = lambda _: True) -> list[tuple[str, Any, float]]:
        """Every message up to and including the next matching one."""
        seen: list[tuple[str, Any, float]] = []
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                seen.append(self.events.get(timeout=left))
            except queue.Empty:
                break
            if seen[-1][0] == event and where(seen[-1][1]):
                return seen
        raise AssertionError(f"no {event} message within {timeout_s} s (got {seen})")

    def drain(self) -> list[tuple[str, Any]]:
        out = []
        while not self.events.empty():
            kind, data, _ = self.events.get_nowait()
            out.append((kind, data))
        return out

    def close(self) -> None:
        """Hang up as a browser tab does. A socket closed by another thread does not wake a
        blocked read on Linux; shutting it down does."""
        if self._response is not None and not self.ended.is_set():
            stream = self._response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5.0)
        self._client.close()
