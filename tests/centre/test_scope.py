"""Site scoping at the centre, on PostgreSQL: a user limited to plant-7 never sees plant-9
through ANY endpoint of the API (every route is probed; a new route without a probe fails
this test), the event stream, the fleet board, evidence URLs, or ids guessed into URLs."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.auth import Passwords, add_user, create_token
from console.centre.app import create_centre_app
from console.store import Scope, StatusMessage, Store
from console.web.server import ConsoleServer
from tests.centre.kit import console_config
from tests.console.helpers import T0, camera, decided, lifecycle
from tests.console.web.apikit import SseClient

SITE, OTHER = "plant-7", "plant-9"
SECRET = "plant-9"  # in plant-9's data only (ids are p7.*, p9.*): in no answer to plant-7
TAG = {SITE: "p7", OTHER: "p9"}
PERIOD = "since=2026-03-01T00:00:00%2B08:00&until=2026-03-31T00:00:00%2B08:00"


def _data(site: str, n: int = 2) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out += lifecycle(f"{TAG[site]}.v{i}", T0 + 60 * i, [1, 2], site=site,
                         box=f"{site}-box")
    out.append(camera("online", T0, site=site, box=f"{site}-box"))
    out.append(decided(f"{TAG[site]}.v0", f"{TAG[site]}-d1", T0 + 500, "false_alarm",
                       reason="outside_zone", site=site, box=f"{site}-box"))
    return out


class Centre:
    def __init__(self, store: Store, server: ConsoleServer, tokens: dict[str, str]) -> None:
        self.store, self.server, self.tokens = store, server, tokens
        self.http = httpx.Client(base_url=server.url, timeout=10)

    def call(self, method: str, path: str, who: str = "scoped", *,
             headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        headers = {**(headers or {}), "Authorization": f"Bearer {self.tokens[who]}"}
        return self.http.request(method, path, headers=headers, **kw)


@pytest.fixture
def centre(pg_url: str, tmp_path: Path) -> Iterator[Centre]:
    store = Store.open(pg_url)
    store.ingest_many([*_data(SITE), *_data(OTHER)])
    for site in (SITE, OTHER):
        store.record_statuses([StatusMessage(site, f"{site}-box", None, {
            "state": "online", "site_id": site, "box_id": f"{site}-box",
            "time": "2026-03-14T09:00:00+08:00", "version": "1.4.2"})])
    add_user(store, f"user-{OTHER}", "a long password", "viewer", [OTHER],
             passwords=Passwords.cheap())
    tokens = {"admin": create_token(store, "t-admin", "admin"),
              "scoped": create_token(store, "t-scoped", "operator", [SITE])}
    app = create_centre_app(console_config(pg_url, 1883), store,
                            ingest_stats=lambda: {"received": 1, "site": SECRET})
    server = ConsoleServer(app, "127.0.0.1", 0)
    server.start()
    try:
        yield Centre(store, server, tokens)
    finally:
        server.stop()
        store.close()


def _clean(r: httpx.Response, *ok: int) -> None:
    assert r.status_code in (ok or (200,)), (r.request.url, r.status_code, r.text[:300])
    text = r.text if r.status_code == 200 else r.text.replace(SECRET, "")  # echoed input
    assert SECRET not in text, (r.request.url, r.text[:500])


# One probe per route: what the scoped user tries, and what must hold.
def _violations(c: Centre) -> None:
    r = c.call("GET", "/api/violations")
    _clean(r)
    ids = {i["violation_id"] for i in r.json()["items"]}
    assert {"p7.v0", "p7.v1"} <= ids and all(i.startswith("p7.") for i in ids)
    _clean(c.call("GET", f"/api/violations?site={OTHER}"), 200, 422)
    _clean(c.call("GET", "/api/violations?decision=false_alarm"))


def _violation(c: Centre) -> None:
    _clean(c.call("GET", "/api/violations/p7.v0"))
    _clean(c.call("GET", "/api/violations/p9.v0"), 404)


def _review(action: str, body: dict[str, Any]) -> Callable[[Centre], None]:
    def probe(c: Centre) -> None:
        _clean(c.call("POST", f"/api/violations/p9.v1/{action}", json=body), 404)
        v = c.store.get_violation("p9.v1", Scope.all())
        assert (v.claimed_by, v.decision, v.version) == (None, None, 4), action
    return probe


def _bulk(c: Centre) -> None:
    r = c.call("POST", "/api/violations/bulk/decision", json={
        "violation_ids": ["p9.v1", "p7.v1"], "decision": "confirmed"})
    _clean(r)
    results = {x["violation_id"]: x for x in r.json()["results"]}
    assert (results["p9.v1"]["ok"], results["p9.v1"]["status"]) == (False, 404)
    assert results["p7.v1"]["ok"]
    assert c.store.get_violation("p9.v1", Scope.all()).decision is None


def _get(path: str, *ok: int, must: str = "") -> Callable[[Centre], None]:
    def probe(c: Centre) -> None:
        r = c.call("GET", path)
        _clean(r, *(ok or (200,)))
        assert must in r.text, (path, r.text[:300])  # not empty: the own site is there
    return probe


def _export(c: Centre) -> None:
    r = c.call("GET", f"/api/exports/false-alarms.zip?{PERIOD}")
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        text = "".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist())
    assert "p7.v0" in text and SECRET not in text


def _admin_only(method: str, path: str, body: Any = None) -> Callable[[Centre], None]:
    def probe(c: Centre) -> None:
        r = c.call(method, path, json=body)
        assert r.status_code == 403, (path, r.status_code)
        _clean(r, 403)
    return probe


def _stream(c: Centre) -> None:
    sse = SseClient(c.server.url, c.tokens["scoped"]).wait_connected()
    try:
        c.store.ingest_many([*lifecycle("p9.live", T0 + 900, [1], site=OTHER,
                                        box=f"{OTHER}-box"),
                             *lifecycle("p7.live", T0 + 900, [1], site=SITE,
                                        box=f"{SITE}-box")])
        data, _ = sse.next("violation", 10, lambda d: d["violation_id"] == "p7.live")
        time.sleep(0.5)
        rest = sse.drain()
        assert SECRET not in json.dumps([data, *rest])
    finally:
        sse.close()


PROBES: dict[tuple[str, str], Callable[[Centre], None]] = {
    ("GET", "/api/violations"): _violations,
    ("GET", "/api/violations/{violation_id}"): _violation,
    ("POST", "/api/violations/{violation_id}/claim"): _review("claim", {}),
    ("POST", "/api/violations/{violation_id}/release"): _review("release", {}),
    ("POST", "/api/violations/{violation_id}/decision"): _review(
        "decision", {"decision": "confirmed"}),
    ("POST", "/api/violations/{violation_id}/reopen"): _review("reopen", {"comment": "x"}),
    ("POST", "/api/violations/{violation_id}/comment"): _review("comment", {"text": "x"}),
    ("POST", "/api/violations/bulk/decision"): _bulk,
    ("GET", "/api/counts"): _get("/api/counts", must="total"),
    ("GET", "/api/cameras"): _get("/api/cameras", must=SITE),
    ("GET", "/api/boxes"): _get("/api/boxes", must=SITE),
    ("GET", "/api/stats"): _get(f"/api/stats?{PERIOD}", must=SITE),
    ("GET", "/api/stats.csv"): _get(f"/api/stats.csv?{PERIOD}", must=SITE),
    ("GET", "/api/exports/false-alarms.zip"): lambda c: _export(c),
    ("GET", "/api/users"): _admin_only("GET", "/api/users"),
    ("POST", "/api/users"): _admin_only("POST", "/api/users", {
        "username": "x", "password": "a long password", "role": "viewer"}),
    ("PUT", "/api/users/{name}"): _admin_only("PUT", f"/api/users/user-{OTHER}",
                                              {"role": "admin"}),
    ("DELETE", "/api/users/{name}"): _admin_only("DELETE", f"/api/users/user-{OTHER}"),
    ("GET", "/api/tokens"): _admin_only("GET", "/api/tokens"),
    ("POST", "/api/tokens"): _admin_only("POST", "/api/tokens", {"name": "x",
                                                                 "role": "admin"}),
    ("DELETE", "/api/tokens/{name}"): _admin_only("DELETE", "/api/tokens/t-admin"),
    ("GET", "/api/stream"): _stream,
    ("GET", "/api/fleet"): _get("/api/fleet", must=SITE),
    ("GET", "/api/me"): _get("/api/me"),
    ("POST", "/api/login"): lambda c: None,  # no data before a login
    ("POST", "/api/logout"): lambda c: None,
}


def test_every_api_route_keeps_a_scoped_user_in_their_sites(centre: Centre) -> None:
    spec = centre.call("GET", "/api/openapi.json", "admin").json()
    routes = {(m.upper(), path) for path, ops in spec["paths"].items()
              if path.startswith("/api/") for m in ops}
    assert ("GET", "/api/fleet") in routes and len(routes) > 20
    assert routes <= set(PROBES), f"routes without a scope probe: {routes - set(PROBES)}"
    for route in sorted(routes):
        PROBES[route](centre)


def test_the_admin_sees_both_sites_and_the_ingest(centre: Centre) -> None:
    fleet = centre.call("GET", "/api/fleet", "admin").json()
    assert {s["site_id"] for s in fleet["sites"]} == {SITE, OTHER}
    assert "ingest" in fleet
    scoped = centre.call("GET", "/api/fleet").json()
    assert [s["site_id"] for s in scoped["sites"]] == [SITE] and "ingest" not in scoped
    assert scoped["summary"]["boxes"] == 1 and scoped["sites"][0]["unhandled"] == 1


def test_pages_and_guessed_urls(centre: Centre) -> None:
    for path in ("/fleet", "/violations/p9.v0", "/violations", "/", "/cameras", "/stats",
                 f"/evidence/{OTHER}/x/y/z.jpg"):
        r = centre.call("GET", path, headers={"accept": "text/html"})
        assert SECRET not in r.text.replace(f"/evidence/{OTHER}/", ""), path
    assert centre.call("GET", "/fleet").status_code == 200
    assert centre.call("GET", f"/evidence/{OTHER}/x/y/z.jpg").status_code == 404
