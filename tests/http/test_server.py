"""The box's HTTP server on a free loopback port, serving evidence made from real video."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import pytest

from edge.config.site import HttpConfig
from edge.evidence import EvidenceReady
from edge.evidence.files import evidence_root
from edge.http import HttpServer, HttpTokenMissing, text_response
from tests.evidence.replaykit import all_refs, recorder, replay, update

TOKEN = "s3cret-token-for-tests"


@pytest.fixture(scope="module")
def evidence(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    tmp = tmp_path_factory.mktemp("http")
    video = assets / "video" / "one-by-one-person-detection.mp4"
    script = {5.0: [update("h1", "started", 5.0, 5.0)],
              8.0: [update("h1", "ended", 8.0, 5.0, 7.0)],
              12.0: [update("h2", "started", 12.0, 12.0)],
              14.0: [update("h2", "ended", 14.0, 12.0, 13.0)]}
    ready = replay(video, recorder(tmp), script, until_s=25.0).ready
    assert len(ready) == 2
    return tmp, ready


@pytest.fixture
def server(evidence: tuple[Path, list[EvidenceReady]]) -> Iterator[HttpServer]:
    srv = HttpServer(HttpConfig(host="127.0.0.1", port=0), evidence_root(evidence[0]), token=TOKEN)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _get(
    srv: HttpServer, path: str, token: str | None = TOKEN, method: str = "GET", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _clip(evidence: tuple[Path, list[EvidenceReady]]) -> dict[str, Any]:
    return evidence[1][0].evidence["clip"]


def test_evidence_needs_the_right_token(server: HttpServer, evidence: Any) -> None:
    url = _clip(evidence)["url"]
    status, headers, _ = _get(server, url, token=None)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert _get(server, url, token="wrong")[0] == 401
    assert _get(server, url, token=TOKEN + "x")[0] == 401
    assert _get(server, "/api/violations", token=None)[0] == 401
    status, headers, body = _get(server, url)
    assert status == 200 and headers["content-type"] == "video/mp4"
    assert body == Path(_clip(evidence)["path"]).read_bytes()
    assert headers["accept-ranges"] == "bytes"


def test_every_announced_file_is_served_intact(server: HttpServer, evidence: Any) -> None:
    import hashlib

    for ref in all_refs(evidence[1]):
        status, _, body = _get(server, str(ref["url"]))
        assert status == 200
        assert hashlib.sha256(body).hexdigest() == ref["sha256"]


def test_range_requests_for_seeking(server: HttpServer, evidence: Any) -> None:
    clip = _clip(evidence)
    data = Path(clip["path"]).read_bytes()
    size = len(data)
    status, h, body = _get(server, clip["url"], Range="bytes=100-1123")
    assert status == 206 and body == data[100:1124]
    assert h["content-range"] == f"bytes 100-1123/{size}" and h["content-length"] == "1024"
    status, h, body = _get(server, clip["url"], Range="bytes=-500")
    assert status == 206 and body == data[-500:]
    status, h, body = _get(server, clip["url"], Range=f"bytes={size - 10}-")
    assert status == 206 and body == data[-10:]
    status, h, _ = _get(server, clip["url"], Range=f"bytes={size}-")
    assert status == 416 and h["content-range"] == f"bytes */{size}"
    # the served pieces, put together, are a playable MP4
    parts = [_get(server, clip["url"], Range=f"bytes={a}-{min(a + 65535, size - 1)}")[2]
             for a in range(0, size, 65536)]
    joined = evidence[0] / "joined.mp4"
    joined.write_bytes(b"".join(parts))
    with av.open(str(joined)) as c:
        assert sum(1 for _ in c.decode(video=0)) > 10


def test_no_escape_from_the_evidence_folder(server: HttpServer, evidence: Any) -> None:
    root = evidence[0]
    (root / "secret.txt").write_text("not evidence")
    for path in ("/evidence/../secret.txt", "/evidence/%2e%2e/secret.txt",
                 "/evidence/plant-7/../../secret.txt", "/evidence/plant-7/cam-1", "/evidence/"):
        assert _get(server, path)[0] == 404, path
    vdir = Path(_clip(evidence)["path"]).parent
    (vdir / ".tmp-1-1-clip.mp4").write_bytes(b"partial")
    rel = (vdir / ".tmp-1-1-clip.mp4").relative_to(root / "evidence").as_posix()
    assert _get(server, f"/evidence/{rel}")[0] == 404, "half-written files are never served"
    assert _get(server, "/evidence/plant-7/%00/clip.mp4")[0] == 404


@pytest.mark.parametrize("camera", ["../..", "**", "/etc", "cam-1/../..", "[a-z]*"])
def test_violation_list_camera_filter_is_one_id(server: HttpServer, camera: str) -> None:
    from urllib.parse import quote

    status, _, body = _get(server, f"/api/violations?camera={quote(camera, safe='')}")
    assert status == 400, (camera, body)


def test_recent_violations_list(server: HttpServer, evidence: Any) -> None:
    status, h, body = _get(server, "/api/violations?limit=10")
    assert status == 200 and h["content-type"] == "application/json"
    items = json.loads(body)["violations"]
    assert [v["violation_id"] for v in items] == ["h2", "h1"], "newest first"
    for v in items:
        assert v["evidence"]["ready"] is True
        assert v["ended_at"] is not None and v["camera_id"] == "cam-1"
        assert _get(server, v["evidence"]["clip"]["url"], method="HEAD")[0] == 200
    assert len(json.loads(_get(server, "/api/violations?limit=1")[2])["violations"]) == 1
    assert json.loads(_get(server, "/api/violations?camera=other")[2])["violations"] == []
    assert _get(server, "/api/violations?limit=x")[0] == 400


def test_health_open_metrics_protected_and_pluggable(server: HttpServer) -> None:
    status, _, body = _get(server, "/health", token=None)
    assert status == 200 and json.loads(body)["status"] == "ok"
    server.add_route("GET", "/metrics", lambda _r: text_response("sitewarden_up 1\n"))
    assert _get(server, "/metrics", token=None)[0] == 401
    status, _, body = _get(server, "/metrics")
    assert status == 200 and body == b"sitewarden_up 1\n"
    server.add_route("GET", "/metrics", lambda _r: text_response("open 1\n"), auth=False)
    assert _get(server, "/metrics", token=None)[2] == b"open 1\n"
    assert _get(server, "/nope")[0] == 404
    assert _get(server, "/nope", token=None)[0] == 401, "no route discovery without a token"


def test_token_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cfg = HttpConfig(host="127.0.0.1", port=0, token_env="SW_TEST_TOKEN")
    monkeypatch.delenv("SW_TEST_TOKEN", raising=False)
    with pytest.raises(HttpTokenMissing, match="SW_TEST_TOKEN"):
        HttpServer(cfg, tmp_path)
    monkeypatch.setenv("SW_TEST_TOKEN", "from-env")
    srv = HttpServer(cfg, tmp_path)
    srv.start()
    try:
        assert _get(srv, "/api/violations", token="from-env")[0] == 200
        assert _get(srv, "/api/violations", token=TOKEN)[0] == 401
    finally:
        srv.stop()


@pytest.mark.parametrize(("header", "size", "expected"), [
    (None, 100, None), ("bytes=0-0", 100, (0, 0)), ("bytes=10-", 100, (10, 99)),
    ("bytes=-1", 100, (99, 99)), ("bytes=-500", 100, (0, 99)), ("bytes=90-200", 100, (90, 99)),
    ("bytes=5-2", 100, None), ("bytes=0-1,5-6", 100, None), ("items=0-1", 100, None),
])
def test_parse_range(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    from edge.http.ranges import parse_range

    assert parse_range(header, size) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=200-300"])
def test_parse_range_unsatisfiable(header: str) -> None:
    from edge.http.ranges import RangeNotSatisfiable, parse_range

    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 100)


def test_signed_urls_play_without_a_header_until_they_expire(
    server: HttpServer, evidence: Any
) -> None:
    items = json.loads(_get(server, "/api/violations")[2])["violations"]
    signed = items[0]["evidence"]["clip"]["signed_url"]
    path = Path(items[0]["evidence"]["clip"]["path"])
    status, _, body = _get(server, signed, token=None, Range="bytes=0-99")
    assert status == 206 and body == path.read_bytes()[:100]
    assert _get(server, items[0]["evidence"]["snapshot"]["raw"]["signed_url"], token=None)[0] == 200
    other = items[1]["evidence"]["clip"]["url"]
    query = signed.split("?", 1)[1]
    assert _get(server, f"{other}?{query}", token=None)[0] == 401, "a signature is per file"
    tampered = signed.replace("exp=", "exp=1")
    assert _get(server, tampered, token=None)[0] == 401
    expired = server.sign(items[0]["evidence"]["clip"]["url"], ttl_s=-1)
    assert _get(server, expired, token=None)[0] == 401
    assert _get(server, "/api/violations?" + query, token=None)[0] == 401, "only for evidence"
