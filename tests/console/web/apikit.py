"""The JSON API under test: an app over a store, API tokens for each role, captured events.

    api = make_api(store, tmp_path)       # TestClient-backed, bearer tokens
    api.get("/api/violations", who="viewer")
"""

from __future__ import annotations

from collections.abc import Iterator
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


def make_context(store: Store, evidence_root: Path, **kw: Any) -> ConsoleContext:
    return ConsoleContext(store=store, http=HttpConfig(), timezone=ZoneInfo("Asia/Shanghai"),
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
