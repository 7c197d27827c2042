"""The web app's boundary: what is public, login, sessions, CSRF, roles (TestClient)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from console.auth import add_user
from console.settings import HttpConfig
from console.store import Store
from console.web.app import create_app
from console.web.context import ConsoleContext


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = Store.open(f"sqlite:///{tmp_path / 'console.db'}")
    add_user(store, "ops", "correct horse", "operator", actor="system")
    add_user(store, "eve", "viewer pass", "viewer", actor="system")
    ctx = ConsoleContext(store=store, http=HttpConfig(), timezone=ZoneInfo("Asia/Shanghai"))
    with TestClient(create_app(ctx)) as c:
        yield c
    store.close()


def test_only_health_and_login_are_public(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    assert client.get("/login").status_code == 200
    for path in ("/api/me", "/api/openapi.json", "/metrics"):
        assert client.get(path).status_code == 401, path
    page = client.get("/api/docs", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 401  # an /api path answers as the API does


def test_login_session_and_csrf(client: TestClient) -> None:
    bad = client.post("/api/login", json={"username": "ops", "password": "nope"})
    assert bad.status_code == 401
    ok = client.post("/api/login", json={"username": "ops", "password": "correct horse"})
    assert ok.status_code == 200
    csrf = ok.json()["csrf_token"]
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/api/me").json()["role"] == "operator"
    assert client.post("/api/logout").status_code == 403  # no CSRF token
    assert client.post("/api/logout", headers={"X-CSRF-Token": "x"}).status_code == 403
    assert client.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/me").status_code == 401


def test_login_form_redirects_back_and_logins_are_rate_limited(client: TestClient) -> None:
    r = client.post("/login", data={"username": "eve", "password": "viewer pass",
                                    "next": "/violations?x=1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/violations?x=1"
    evil = client.post("/login", data={"username": "eve", "password": "viewer pass",
                                       "next": "//evil.example/"}, follow_redirects=False)
    assert evil.headers["location"] == "/"
    client.cookies.clear()
    codes = [client.post("/api/login", json={"username": "ops", "password": f"w{i}"})
             .status_code for i in range(7)]
    assert codes[:5] == [401] * 5 and codes[5] == 429


def test_pages_redirect_to_login_and_speak_chinese(client: TestClient) -> None:
    r = client.get("/api/docs", headers={"accept": "text/html"})
    assert r.status_code == 401
    page = client.get("/login", headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "登录" in page.text and 'lang="zh-CN"' in page.text
    assert "Content-Security-Policy" in page.headers
