"""The violations API through FastAPI's TestClient: login on every route, filters and keyset
pages, the review closed loop with its audit log and the review events it publishes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute

from console.store import Scope, Store
from console.web import routes_auth
from console.web.api import routers
from console.web.api.models import Item
from console.web.items import item
from tests.console.helpers import BOX, CAMERA, SITE, T0, Clock, iso, lifecycle
from tests.console.web.apikit import OTHER_SITE, PASSWORDS, Api, running_api

ZONES = {("gate-north", "press-area"): {"kind": "danger_zone", "max_persons": 0}}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    store = Store.open(f"sqlite:///{tmp_path / 'console.db'}", clock=Clock())
    events = [
        *lifecycle("v1", T0, [1, 2]),
        *lifecycle("v2", T0 + 100, [1], zone="control-desk", kind="duty_post"),
        *lifecycle("v3", T0 + 200, [3], camera="yard"),
        *lifecycle("v4", T0 + 300, [1], site=OTHER_SITE),
        *[e for i in range(12) for e in lifecycle(f"p{i:02d}", T0 + 1000 + i, [1],
                                                  camera="line-2", end=i % 2 == 0)],
    ]
    store.ingest_many(events)
    with running_api(store, tmp_path, with_users=True,
                     zones=lambda cam, zone: ZONES.get((cam, zone))) as a:
        yield a
    store.close()


def _ids(body: dict[str, Any]) -> list[str]:
    return [i["violation_id"] for i in body["items"]]


def test_every_api_route_needs_a_login(api: Api) -> None:
    routes = [r for router in [*routers(), routes_auth.router] for r in router.routes
              if isinstance(r, APIRoute) and r.path.startswith("/api/")
              and r.path != "/api/login"]
    assert len(routes) >= 10
    for route in routes:
        path = route.path.replace("{violation_id}", "v1").replace("{name}", "x")
        for method in route.methods:
            r = api.client.request(method, path)
            assert r.status_code == 401, (method, path, r.status_code)


def test_list_filters(api: Api) -> None:
    everything = _ids(api.ok(api.get("/api/violations?limit=200")))
    assert everything[:2] == ["p11", "p10"] and everything[-1] == "v1" and len(everything) == 16
    assert _ids(api.ok(api.get("/api/violations?camera=yard"))) == ["v3"]
    assert _ids(api.ok(api.get("/api/violations?zone=control-desk"))) == ["v2"]
    assert _ids(api.ok(api.get("/api/violations?kind=duty_post"))) == ["v2"]
    assert _ids(api.ok(api.get(f"/api/violations?site={OTHER_SITE}"))) == ["v4"]
    assert _ids(api.ok(api.get(f"/api/violations?box={BOX}&camera={CAMERA}&site={SITE}"))) \
        == ["v2", "v1"]
    since, until = iso(T0 + 100), T0 + 300  # ISO with offset, epoch seconds
    got = api.ok(api.get("/api/violations", params={"since": since, "until": str(until)}))
    assert _ids(got) == ["v3", "v2"]
    naive = api.ok(api.get("/api/violations", params={"since": "2026-03-14T09:28:33",
                                                      "until": "2026-03-14T09:30:00"}))
    assert _ids(naive) == ["v2"]  # a time without offset is the site's (Asia/Shanghai)
    item = api.ok(api.get("/api/violations?camera=yard"))["items"][0]
    for key in ("violation_id", "site_id", "box_id", "camera_id", "zone_id", "kind", "phase",
                "started_at", "ended_at", "max_count", "decision", "overdue", "snapshot_url",
                "clip_url"):
        assert key in item, key
    assert (item["max_count"], item["decision"], item["overdue"]) == (3, None, False)
    assert item["snapshot_url"] == "/evidence/v3/snapshot.jpg"


def test_decision_and_overdue_filters(api: Api) -> None:
    api.ok(api.post("/api/violations/v1/decision", json={"decision": "confirmed"}))
    api.ok(api.post("/api/violations/v2/decision",
                    json={"decision": "false_alarm", "reason": "not_a_person"}))
    api.store.mark_overdue(T0 + 2005.5, after_s=1000)
    assert _ids(api.ok(api.get("/api/violations?decision=confirmed"))) == ["v1"]
    assert _ids(api.ok(api.get("/api/violations?decision=false_alarm"))) == ["v2"]
    unhandled = _ids(api.ok(api.get("/api/violations?decision=unhandled&limit=200")))
    assert "v1" not in unhandled and "v3" in unhandled and len(unhandled) == 14
    overdue = _ids(api.ok(api.get("/api/violations?overdue=true&limit=200")))
    assert overdue == ["p05", "p04", "p03", "p02", "p01", "p00", "v4", "v3"]
    assert len(_ids(api.ok(api.get("/api/violations?overdue=false&limit=200")))) == 8


def test_keyset_pages_walk_everything_once(api: Api) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"camera": "line-2", "limit": "5", **({"cursor": cursor} if cursor else {})}
        page = api.ok(api.get("/api/violations", params=params))
        seen += _ids(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        api.store.ingest_many(lifecycle(f"late{len(seen)}", T0 + 5000 + len(seen), [1],
                                        camera="line-2"))  # newer rows never shift a page
    assert seen == [f"p{i:02d}" for i in range(11, -1, -1)]


@pytest.mark.parametrize("query", [
    "limit=0", "limit=201", "decision=maybe", "overdue=perhaps", "since=yesterday",
    "until=2026-13-01T00:00:00Z", "cursor=%21%21not-a-cursor",
])
def test_bad_list_parameters_are_422(api: Api, query: str) -> None:
    r = api.get(f"/api/violations?{query}")
    assert r.status_code == 422, (query, r.text)
    assert r.json()["detail"]


def test_scope_hides_other_sites(api: Api) -> None:
    ids = _ids(api.ok(api.get("/api/violations?limit=200", who="scoped")))
    assert "v4" not in ids and len(ids) == 15
    assert api.get("/api/violations/v4", who="scoped").status_code == 404
    assert api.get("/api/violations/nope").status_code == 404
    r = api.post("/api/violations/v4/decision", who="scoped", json={"decision": "confirmed"})
    assert r.status_code == 404


def test_detail_has_phases_audit_neighbours_and_zone(api: Api) -> None:
    api.ok(api.post("/api/violations/v1/comment", json={"text": "watching it"}))
    d = api.ok(api.get("/api/violations/v2?neighbours=3", who="viewer"))
    assert d["violation_id"] == "v2" and d["zone"] is None  # no such zone configured
    d = api.ok(api.get("/api/violations/v1", who="viewer"))
    assert [p["phase"] for p in d["phases"]] == ["started", "updated", "ended", "updated"]
    assert [(a["action"], a["actor"], a["detail"]["comment"]) for a in d["audit"]] == [
        ("comment", "token:t-op", "watching it")]
    assert d["neighbours"]["before"] == []
    assert [n["violation_id"] for n in d["neighbours"]["after"]] == ["v2"]
    assert d["zone"] == {"kind": "danger_zone", "max_persons": 0}


def test_decision_flow_with_claims_audit_and_review_events(api: Api) -> None:
    claimed = api.ok(api.post("/api/violations/v1/claim"))
    assert claimed["claimed_by"] == "token:t-op"
    taken = api.post("/api/violations/v1/decision", who="op2", json={"decision": "confirmed"})
    assert taken.status_code == 409 and taken.json()["holder"] == "token:t-op"
    assert api.post("/api/violations/v1/claim", who="op2").json()["holder"] == "token:t-op"
    assert api.post("/api/violations/v1/claim", who="op2",
                    json={"force": True}).status_code == 403  # only admins take over
    assert api.post("/api/violations/v1/decision", who="viewer",
                    json={"decision": "confirmed"}).status_code == 403
    no_reason = api.post("/api/violations/v1/decision", json={"decision": "false_alarm"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    assert api.post("/api/violations/v1/decision",
                    json={"decision": "dispatched"}).status_code == 422
    stale = api.post("/api/violations/v1/decision",
                     json={"decision": "confirmed", "expected_version": 1})
    assert stale.status_code == 409
    assert api.emitted == []
    done = api.ok(api.post("/api/violations/v1/decision", json={
        "decision": "false_alarm", "reason": "authorised_work", "comment": "welders",
        "expected_version": claimed["version"]}))
    assert (done["decision"], done["decision_reason"], done["claimed_by"]) == (
        "false_alarm", "authorised_work", None)
    [ev] = api.emitted
    assert ev.type == "sitewarden.review.decided" and ev.source == f"/sitewarden/{SITE}/{BOX}"
    assert (ev.data.violation_id, ev.data.action, ev.data.decision, ev.data.reason) == (
        "v1", "decided", "false_alarm", "authorised_work")
    again = api.post("/api/violations/v1/decision", who="op2", json={"decision": "confirmed"})
    assert again.status_code == 409 and "reopen" in again.json()["detail"]
    assert api.post("/api/violations/v1/reopen", json={"comment": " "}).status_code == 422
    reopened = api.ok(api.post("/api/violations/v1/reopen", who="op2",
                               json={"comment": "not welders after all"}))
    assert reopened["decision"] is None
    assert [(e.data.action, e.data.decided_by) for e in api.emitted] == [
        ("decided", "token:t-op"), ("reopened", "token:t-op2")]
    assert api.emitted[1].id != api.emitted[0].id
    audit = api.ok(api.get("/api/violations/v1"))["audit"]
    assert [(a["action"], a["actor"]) for a in audit] == [
        ("claim", "token:t-op"), ("decide", "token:t-op"), ("reopen", "token:t-op2")]
    assert audit[1]["event_id"] == api.emitted[0].id


def test_release_and_admin_force(api: Api) -> None:
    api.ok(api.post("/api/violations/v2/claim", who="op2"))
    assert api.post("/api/violations/v2/release").status_code == 409
    forced = api.ok(api.post("/api/violations/v2/claim", who="admin", json={"force": True}))
    assert forced["claimed_by"] == "token:t-admin"
    assert api.ok(api.post("/api/violations/v2/release", who="admin"))["claimed_by"] is None


def test_bulk_decision_mixes_ok_and_failing_ids(api: Api) -> None:
    api.ok(api.post("/api/violations/v2/claim", who="op2"))
    api.ok(api.post("/api/violations/v3/decision", json={"decision": "confirmed"}))
    api.emitted.clear()
    r = api.ok(api.post("/api/violations/bulk/decision", json={
        "violation_ids": ["v1", "v2", "v3", "v4", "nope", "p00", "v1"],
        "decision": "false_alarm", "reason": "camera_problem"}, who="scoped"))
    got = {x["violation_id"]: (x["ok"], x["status"]) for x in r["results"]}
    assert got == {"v1": (True, 200), "v2": (False, 409), "v3": (False, 409),
                   "v4": (False, 404), "nope": (False, 404), "p00": (True, 200)}
    by_id = {x["violation_id"]: x for x in r["results"]}
    assert by_id["v2"]["holder"] == "token:t-op2"
    assert by_id["v1"]["item"]["decision"] == "false_alarm"
    assert sorted(e.data.violation_id for e in api.emitted) == ["p00", "v1"]


@pytest.mark.parametrize("body, status", [
    ({"violation_ids": ["v1"], "decision": "false_alarm"}, 422),
    ({"violation_ids": "all", "decision": "confirmed"}, 422),
    ({"violation_ids": [], "decision": "confirmed"}, 422),
    ({"violation_ids": [f"x{i}" for i in range(201)], "decision": "confirmed"}, 422),
])
def test_bulk_refuses_bad_requests_whole(api: Api, body: dict[str, Any], status: int) -> None:
    assert api.post("/api/violations/bulk/decision", json=body).status_code == status
    assert api.ok(api.get("/api/violations/v1"))["decision"] is None


def test_viewers_may_not_review(api: Api) -> None:
    for path, body in [("v1/claim", None), ("v1/release", None), ("v1/comment", {"text": "x"}),
                       ("v1/reopen", {"comment": "x"}),
                       ("bulk/decision", {"violation_ids": ["v1"], "decision": "confirmed"})]:
        assert api.post(f"/api/violations/{path}", who="viewer",
                        json=body).status_code == 403, path


def test_csrf_for_cookie_sessions_only(api: Api) -> None:
    c = api.client
    login = c.post("/api/login", json={"username": "op", "password": PASSWORDS["op"]})
    csrf = login.json()["csrf_token"]
    assert c.get("/api/violations").status_code == 200  # reads need no token
    assert c.post("/api/violations/v1/claim").status_code == 403
    assert c.post("/api/violations/v1/claim", headers={"X-CSRF-Token": "forged"}
                  ).status_code == 403
    assert c.post("/api/violations/v1/claim", headers={"X-CSRF-Token": csrf}).status_code == 200
    c.cookies.clear()
    assert api.post("/api/violations/v2/claim").status_code == 200  # bearer: no CSRF


def test_openapi_documents_every_route(api: Api) -> None:
    spec = api.ok(api.get("/api/openapi.json", who="viewer"))
    assert "/api/violations/{violation_id}/decision" in spec["paths"]
    for path, methods in spec["paths"].items():
        if not path.startswith("/api/") or path in ("/api/login", "/api/logout", "/api/me"):
            continue
        for method, op in methods.items():
            assert op.get("summary"), (method, path)
            ok = op["responses"].get("200", {}).get("content", {})
            assert ok, (method, path, "no typed 200 response")
            if method in ("post", "put"):
                assert "requestBody" in op or path.endswith(("/claim", "/release")), path


def test_item_model_matches_the_items_the_pages_render(api: Api) -> None:
    """items.item() feeds both the pages and the API: the documented model must list
    exactly its fields (a field added to one and not the other fails here)."""
    v = api.store.get_violation("v1", Scope.all())
    assert set(item(api.ctx, v)) == set(Item.model_fields)
