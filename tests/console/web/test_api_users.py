"""Users and API tokens through the API: admins only, every change audited."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from console.store import Store
from console.store.tables import audit
from tests.console.helpers import SITE, Clock
from tests.console.web.apikit import PASSWORDS, Api, running_api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store.open(f"sqlite:///{tmp_path / 'console.db'}", clock=Clock())
    with running_api(store, tmp_path, with_users=True) as a:
        yield a
    store.close()


def _audit(api: Api) -> list[tuple[str, str]]:
    with api.store.db.read() as conn:
        rows = conn.execute(select(audit.c.actor, audit.c.action).order_by(audit.c.id)).all()
    return [(r.actor, r.action) for r in rows if r.actor != "system"]


def test_only_admins_manage_people(api: Api) -> None:
    for who in ("op", "viewer"):
        assert api.get("/api/users", who=who).status_code == 403
        assert api.get("/api/tokens", who=who).status_code == 403
        assert api.post("/api/users", who=who, json={
            "username": "x", "password": "long enough", "role": "viewer"}).status_code == 403
        assert api.put("/api/users/op", who=who, json={"role": "admin"}).status_code == 403
        assert api.delete("/api/users/viewer", who=who).status_code == 403
        assert api.post("/api/tokens", who=who, json={"name": "x", "role": "admin"}
                        ).status_code == 403
        assert api.delete("/api/tokens/t-op", who=who).status_code == 403


def test_user_lifecycle(api: Api) -> None:
    new = api.ok(api.post("/api/users", who="admin", json={
        "username": "Zhang.Wei", "password": "安全第一 password", "role": "operator",
        "sites": [SITE]}))
    assert (new["username"], new["role"], new["sites"]) == ("zhang.wei", "operator", [SITE])
    assert api.post("/api/users", who="admin", json={
        "username": "zhang.wei", "password": "another one", "role": "viewer"}).status_code == 409
    assert api.post("/api/users", who="admin", json={
        "username": "short", "password": "short", "role": "viewer"}).status_code == 422
    assert api.post("/api/users", who="admin", json={
        "username": "bad name", "password": "long enough", "role": "viewer"}).status_code == 422
    assert api.post("/api/users", who="admin", json={
        "username": "x", "password": "long enough", "role": "boss"}).status_code == 422
    assert api.client.post("/api/login", json={
        "username": "zhang.wei", "password": "安全第一 password"}).status_code == 200
    assert api.client.get("/api/me").json()["sites"] == [SITE]
    api.client.cookies.clear()
    changed = api.ok(api.put("/api/users/zhang.wei", json={"role": "viewer"}))
    assert (changed["role"], changed["sites"]) == ("viewer", [SITE])  # sites kept
    every = api.ok(api.put("/api/users/zhang.wei", json={"sites": None}))
    assert (every["role"], every["sites"]) == ("viewer", None)
    api.ok(api.put("/api/users/zhang.wei", json={"password": "new password 2"}))
    assert api.client.post("/api/login", json={
        "username": "zhang.wei", "password": "安全第一 password"}).status_code == 401
    assert api.put("/api/users/nobody", json={"role": "viewer"}).status_code == 404
    users = [u["username"] for u in api.ok(api.get("/api/users", who="admin"))]
    assert "zhang.wei" in users and "admin" in users
    assert api.ok(api.delete("/api/users/zhang.wei")) == {"ok": True}
    assert api.delete("/api/users/zhang.wei").status_code == 404
    assert _audit(api) == [("token:t-admin", "user_add"), ("token:t-admin", "user_role"),
                           ("token:t-admin", "user_role"), ("token:t-admin", "user_passwd"),
                           ("token:t-admin", "user_remove")]


def test_an_admin_cannot_lock_themselves_out(api: Api) -> None:
    c = api.client
    csrf = c.post("/api/login", json={"username": "admin",
                                      "password": "admin password 1"}).json()["csrf_token"]
    h = {"X-CSRF-Token": csrf}
    assert c.delete("/api/users/admin", headers=h).status_code == 409
    assert c.put("/api/users/admin", headers=h, json={"role": "viewer"}).status_code == 409
    assert c.put("/api/users/admin", headers=h, json={"sites": ["x"]}).status_code == 409
    assert c.delete("/api/users/op", headers={}).status_code == 403  # CSRF
    assert c.delete("/api/users/op", headers=h).status_code == 200


def test_tokens(api: Api) -> None:
    made = api.ok(api.post("/api/tokens", who="admin", json={
        "name": "scada", "role": "viewer", "sites": [SITE]}))
    assert made["name"] == "scada" and made["token"].startswith("swt_")
    listed = {t["name"]: t for t in api.ok(api.get("/api/tokens", who="admin"))}
    assert listed["scada"]["sites"] == [SITE] and "token" not in listed["scada"]
    assert listed["scada"]["created_by"] == "token:t-admin"
    bearer = {"Authorization": f"Bearer {made['token']}"}
    assert api.client.get("/api/me", headers=bearer).json()["sites"] == [SITE]
    assert api.post("/api/tokens", who="admin", json={"name": "scada", "role": "viewer"}
                    ).status_code == 409
    assert api.ok(api.delete("/api/tokens/scada")) == {"ok": True}
    assert api.client.get("/api/me", headers=bearer).status_code == 401
    assert api.delete("/api/tokens/scada").status_code == 404
    assert ("token:t-admin", "token_create") in _audit(api)
    assert ("token:t-admin", "token_revoke") in _audit(api)


def test_admins_are_never_limited_to_sites(api: Api) -> None:
    """A site-limited admin could lift its own limit (a new admin token for every site):
    such accounts are refused, and one an older store may hold manages nobody."""
    r = api.post("/api/users", who="admin", json={
        "username": "plant7-boss", "password": "long enough", "role": "admin",
        "sites": [SITE]})
    assert r.status_code == 422 and "admin sees every site" in r.text
    r = api.post("/api/tokens", who="admin", json={"name": "p7", "role": "admin",
                                                   "sites": [SITE]})
    assert r.status_code == 422
    # promoting a site-limited operator keeps the sites unless told: refused; all sites: fine
    api.post("/api/users", who="admin", json={
        "username": "sam", "password": "long enough", "role": "operator", "sites": [SITE]})
    assert api.put("/api/users/sam", who="admin", json={"role": "admin"}).status_code == 422
    assert api.put("/api/users/sam", who="admin",
                   json={"role": "admin", "sites": None}).status_code == 200
    # an admin token limited to a site, written straight into the store (an older version)
    from console.auth.sessions import hash_secret
    from console.auth.tokens import PREFIX
    from console.store.tables import api_tokens
    secret = PREFIX + "legacy-limited-admin"
    with api.store.db.engine.begin() as conn:
        conn.execute(api_tokens.insert().values(
            token_hash=hash_secret(secret), name="old-p7", role="admin", all_sites=False,
            sites=[SITE], created_ts=0.0, created_by="old", expires_ts=None))
    headers = {"Authorization": f"Bearer {secret}"}
    assert api.client.get("/api/users", headers=headers).status_code == 403
    assert api.client.post("/api/tokens", headers=headers,
                           json={"name": "esc", "role": "admin"}).status_code == 403


def test_an_empty_site_list_is_refused(api: Api) -> None:
    """Pages show "every site" as an empty field: a user of no site would be saved back as
    a user of every site."""
    r = api.post("/api/users", who="admin", json={
        "username": "nobody", "password": "long enough", "role": "viewer", "sites": []})
    assert r.status_code == 422 and "at least one site" in r.text
    assert api.post("/api/tokens", who="admin",
                    json={"name": "none", "role": "viewer", "sites": []}).status_code == 422


def test_a_login_from_another_site_is_refused(api: Api) -> None:
    """Login CSRF: another site's form must not log the browser in (Fetch Metadata)."""
    body = {"username": "op", "password": PASSWORDS["op"]}
    r = api.client.post("/api/login", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403 and "sw_session" not in r.headers.get("set-cookie", "")
    r = api.client.post("/login", data=dict(body, next="/"),
                        headers={"Sec-Fetch-Site": "cross-site"}, follow_redirects=False)
    assert r.status_code == 403 and "sw_session" not in r.headers.get("set-cookie", "")
    assert "<form" in r.text  # a person gets our login page, not JSON
    r = api.client.post("/api/login", json=body, headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 200, r.text
