"""Evidence at the centre: a logged-in user who may see a violation gets a short-lived
presigned URL of its object in S3-compatible storage (moto's server on loopback, boto3 as
the client); nothing for violations outside the user's sites, nothing for a key that is not
the violation's own, and no /evidence/... route at all."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from console.auth import create_token
from console.centre.app import create_centre_app
from console.store import Scope, Store
from tests.centre.kit import console_config
from tests.console.helpers import T0, lifecycle
from tests.evidence.s3kit import KEY_ENV, SECRET_ENV, MotoS3, bucket, s3  # noqa: F401

SITE, OTHER = "plant-7", "plant-9"


def _key(site: str, vid: str, name: str, box: str = "edge-01") -> str:
    return f"sitewarden/{site}/{box}/gate-north/2026/03/14/{vid}/{name}"


def _with_keys(events: list[dict[str, Any]], snapshot_key: str, clip_key: str
               ) -> list[dict[str, Any]]:
    for e in events:
        ev = e["data"]["evidence"]
        if ev.get("snapshot"):
            ev["snapshot"]["key"] = snapshot_key
        if ev.get("clip"):
            ev["clip"]["key"] = clip_key
    return events


@pytest.fixture
def centre(pg_url: str, s3: MotoS3, bucket: str, tmp_path: Path  # noqa: F811
           ) -> Iterator[tuple[TestClient, dict[str, str], dict[str, bytes]]]:
    store = Store.open(pg_url)
    objects: dict[str, bytes] = {}
    events = []
    for site, vid in ((SITE, "v1"), (OTHER, "v9")):
        snap, clip = _key(site, vid, "snapshot.jpg"), _key(site, vid, "clip.mp4")
        objects[snap], objects[clip] = f"jpeg of {vid}".encode(), f"mp4 of {vid}".encode()
        events += _with_keys(lifecycle(vid, T0, [1], site=site), snap, clip)
    # a box of plant-7 naming an object of plant-9 in its evidence
    events += _with_keys(lifecycle("v-rogue", T0 + 60, [1], site=SITE),
                         _key(OTHER, "v9", "snapshot.jpg"), _key(OTHER, "v9", "clip.mp4"))
    store.ingest_many(events)
    client = s3.client()
    for key, body in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=body)
    cfg = console_config(pg_url, 1883, evidence={
        "endpoint_url": s3.url, "bucket": bucket, "access_key_env": KEY_ENV,
        "secret_key_env": SECRET_ENV, "url_ttl_s": 120})
    tokens = {"admin": create_token(store, "t-admin", "admin"),
              "scoped": create_token(store, "t-scoped", "operator", [SITE])}
    with TestClient(create_centre_app(cfg, store)) as c:
        yield c, tokens, objects
    store.close()


def _get(c: TestClient, tokens: dict[str, str], who: str, path: str) -> httpx.Response:
    return c.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})


def test_a_user_gets_presigned_urls_that_open_the_object(centre: Any) -> None:
    c, tokens, objects = centre
    v = _get(c, tokens, "scoped", "/api/violations/v1").json()
    for field, name in (("snapshot_url", "snapshot.jpg"), ("clip_url", "clip.mp4")):
        url = v[field]
        query = parse_qs(urlsplit(url).query)
        assert query["X-Amz-Expires"] == ["120"] and "X-Amz-Signature" in query
        got = httpx.get(url, timeout=10)
        assert got.status_code == 200
        assert hashlib.sha256(got.content).digest() == hashlib.sha256(
            objects[_key(SITE, "v1", name)]).digest()


def test_nothing_for_other_sites_or_foreign_keys_and_no_evidence_route(centre: Any) -> None:
    c, tokens, _ = centre
    assert _get(c, tokens, "scoped", "/api/violations/v9").status_code == 404
    listed = _get(c, tokens, "scoped", "/api/violations").json()["items"]
    assert {i["violation_id"] for i in listed} == {"v1", "v-rogue"}
    assert all(OTHER not in str(i) for i in listed)
    rogue = _get(c, tokens, "admin", "/api/violations/v-rogue").json()
    assert (rogue["snapshot_url"], rogue["clip_url"]) == (None, None)
    for who in ("scoped", "admin"):
        for path in (f"/evidence/{OTHER}/gate-north/2026-03-14/v9/snapshot.jpg",
                     f"/evidence/{_key(OTHER, 'v9', 'snapshot.jpg')}"):
            assert _get(c, tokens, who, path).status_code == 404
    assert c.get("/evidence/x").status_code == 404  # not a login prompt: there is no route


def test_open_reads_the_object_for_the_export(centre: Any) -> None:
    c, _, objects = centre
    ctx = c.app.state.ctx  # type: ignore[attr-defined]
    v1 = ctx.store.get_violation("v1", Scope.all())
    assert ctx.evidence.open(v1, "clip") == objects[_key(SITE, "v1", "clip.mp4")]


@pytest.mark.parametrize(("ids", "key_site", "signed"), [
    (("plant-7", "edge-1", "cam", "v1"), "plant-7", True),
    (("plant-7", "edge-1", "cam", "v1"), "plant-9", False),
    # ids the box's path rule would change cannot be told apart by their keys
    (("plant 9", "edge-1", "cam", "v1"), "plant_9", False),
    ((".v1", "edge-1", "cam", "v1"), "v1", False),
])
def test_a_key_names_exactly_its_violation(ids: tuple[str, str, str, str], key_site: str,
                                           signed: bool) -> None:
    from types import SimpleNamespace

    from console.centre.evidence import key_belongs_to
    site, box, cam, vid = ids
    v = SimpleNamespace(site_id=site, box_id=box, camera_id=cam, violation_id=vid)
    key = f"evidence/{key_site}/{box}/{cam}/2026/03/14/{vid}/snapshot.jpg"
    assert key_belongs_to(key, v) is signed  # type: ignore[arg-type]
