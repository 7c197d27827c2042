"""The live stream and evidence through a real uvicorn on loopback (ConsoleServer, port 0),
on SQLite and on PostgreSQL: changes arrive within a second, scoped users see only their
sites, replicas on one PostgreSQL see each other's changes, streams end with the client
and with the server."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from console.auth.tokens import revoke_token
from console.store import Store
from console.web.app import create_app
from console.web.server import ConsoleServer
from console.web.stream import StreamHub
from tests.console.helpers import SITE, T0, camera, lifecycle, phase
from tests.console.web.apikit import OTHER_SITE, SseClient, add_people, make_context

pytestmark = pytest.mark.slow


class Served:
    def __init__(self, server: ConsoleServer, store: Store, tokens: dict[str, str],
                 hub: StreamHub) -> None:
        self.server, self.store, self.tokens, self.hub = server, store, tokens, hub
        self.url = server.url
        self.streams: list[SseClient] = []

    def sse(self, who: str) -> SseClient:
        s = SseClient(self.url, self.tokens[who])
        self.streams.append(s)
        return s.wait_connected()

    def http(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0,
                            headers={"Authorization": f"Bearer {self.tokens[who]}"})


@contextmanager
def serve(store: Store, tmp_path: Path, tokens: dict[str, str] | None = None,
          **hub_kw: Any) -> Iterator[Served]:
    ctx = make_context(store, tmp_path / "evidence")
    app = create_app(ctx)
    hub = app.state.streams = StreamHub(ctx, **hub_kw)
    server = ConsoleServer(app, "127.0.0.1", 0)
    server.start()
    served = Served(server, store, tokens or add_people(store), hub)
    try:
        yield served
    finally:
        for s in served.streams:
            s.close()
        server.stop()


@pytest.fixture
def served(store: Store, tmp_path: Path) -> Iterator[Served]:
    with serve(store, tmp_path) as s:
        yield s


def test_a_change_after_the_stream_opened_arrives_within_a_second(served: Served) -> None:
    sse = served.sse("viewer")
    t0 = time.monotonic()
    served.store.ingest(phase("v1", "started", T0))
    data, at = sse.next("violation", timeout_s=5)
    assert at - t0 < 1.0, f"{at - t0:.3f} s"
    assert (data["violation_id"], data["change"]) == ("v1", "created")
    assert data["item"]["phase"] == "started" and data["item"]["site_id"] == SITE
    with served.http("op") as op:
        r = op.post("/api/violations/v1/decision", json={"decision": "confirmed"})
        assert r.status_code == 200
    data, _ = sse.next("violation")
    assert (data["change"], data["item"]["decision"]) == ("updated", "confirmed")
    served.store.ingest(camera("offline", T0 + 1))
    cam, _ = sse.next("camera")
    assert cam["site_id"] == SITE and cam["id"].endswith("/gate-north")


def test_a_scoped_stream_never_carries_another_site(served: Served) -> None:
    everyone, scoped = served.sse("viewer"), served.sse("scoped")
    served.store.ingest_many([*lifecycle("theirs", T0, [1], site=OTHER_SITE),
                              camera("offline", T0, site=OTHER_SITE)])
    served.store.ingest_many(lifecycle("ours", T0 + 1, [1]))
    served.store.ingest(camera("offline", T0 + 2))
    everyone.next("violation", where=lambda d: d["violation_id"] == "theirs")
    everyone.next("camera", where=lambda d: d["site_id"] == OTHER_SITE)
    everyone.next("camera", where=lambda d: d["site_id"] == SITE)
    # everything the scoped stream got, up to the last change made (after all the others)
    got = scoped.until("camera", where=lambda d: d["site_id"] == SITE)
    sites = {d["site_id"] if k == "camera" else d["item"]["site_id"]
             for k, d, _ in got if k in ("violation", "camera")}
    assert sites == {SITE}
    assert {d["violation_id"] for k, d, _ in got if k == "violation"} == {"ours"}


def test_streams_need_a_login(served: Served) -> None:
    r = httpx.get(f"{served.url}/api/stream", timeout=5)
    assert r.status_code == 401


def test_keepalive_and_the_end_of_a_client(store: Store, tmp_path: Path) -> None:
    with serve(store, tmp_path, keepalive_s=0.2) as s:
        sse = s.sse("viewer")
        assert sse.next("comment", where=lambda c: c == "keepalive")[0] == "keepalive"
        assert s.hub.clients == 1
        sse.close()
        deadline = time.monotonic() + 3
        while s.hub.clients and time.monotonic() < deadline:
            time.sleep(0.05)
        assert s.hub.clients == 0, "the stream outlived its client"


def test_stopping_the_server_ends_open_streams(store: Store, tmp_path: Path) -> None:
    with serve(store, tmp_path) as s:
        streams = [s.sse("viewer"), s.sse("scoped")]
        t0 = time.monotonic()
        s.server.stop()
        took = time.monotonic() - t0
        assert all(x.ended.wait(2) for x in streams)
    assert took < 1.5, f"shutdown waited {took:.1f} s on open streams"


def test_evidence_byte_ranges(store: Store, tmp_path: Path) -> None:
    clip = tmp_path / "evidence" / SITE / "gate-north" / "2026-03-14" / "v1" / "clip.mp4"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(bytes(range(256)) * 40)
    with serve(store, tmp_path) as s, s.http("scoped") as c:
        rel = f"/evidence/{SITE}/gate-north/2026-03-14/v1/clip.mp4"
        r = c.get(rel, headers={"Range": "bytes=100-199"})
        assert r.status_code == 206 and r.content == (bytes(range(256)) * 40)[100:200]
        assert r.headers["content-range"] == "bytes 100-199/10240"
        assert c.get(rel).status_code == 200 and len(c.get(rel).content) == 10240
        assert httpx.get(s.url + rel, timeout=5).status_code == 401
        other = f"/evidence/{OTHER_SITE}/gate-north/2026-03-14/v1/clip.mp4"
        assert c.get(other).status_code == 404
        # The other site's file exists: no path through the own site's name reaches it.
        theirs = tmp_path / "evidence" / OTHER_SITE / "gate-north" / "2026-03-14" / "v1"
        theirs.mkdir(parents=True)
        (theirs / "clip.mp4").write_bytes(b"secret")
        assert c.get(other).status_code == 404
        for dots in ("%2e%2e", "..", "%2E%2E", "./%2e%2e"):
            sneaky = f"/evidence/{SITE}/{dots}/{OTHER_SITE}/gate-north/2026-03-14/v1/clip.mp4"
            r = c.get(sneaky)
            assert r.status_code == 404 and b"secret" not in r.content, (dots, r.status_code)


def test_two_apps_on_one_postgresql(pg_url: str, tmp_path: Path) -> None:
    """A change ingested through one replica reaches the streams of the other."""
    a, b = Store.open(pg_url), Store.open(pg_url)
    try:
        tokens = add_people(a)
        with serve(a, tmp_path / "a", tokens) as sa, serve(b, tmp_path / "b", tokens) as sb:
            on_b, on_a = sb.sse("scoped"), sa.sse("viewer")
            t0 = time.monotonic()
            a.ingest_many(lifecycle("x1", T0, [1]))
            data, at = on_b.next("violation", timeout_s=5)
            assert data["violation_id"] == "x1" and at - t0 < 1.0
            on_a.next("violation", where=lambda d: d["violation_id"] == "x1")
            with sb.http("op") as op:
                assert op.post("/api/violations/x1/claim").status_code == 200
            data, _ = on_a.next("violation", where=lambda d: d["item"]["claimed_by"])
            assert data["item"]["claimed_by"] == "token:t-op"
    finally:
        a.close()
        b.close()


def test_a_stream_ends_with_its_login(store: Store, tmp_path: Path) -> None:
    """A revoked token's open stream stops within a keepalive period, and sends nothing of
    what happens after; a stream whose login still holds goes on."""
    with serve(store, tmp_path, keepalive_s=0.3) as s:
        revoked, kept = s.sse("scoped"), s.sse("viewer")
        revoke_token(store, "t-scoped")
        assert revoked.ended.wait(5), "the stream outlived its token"
        store.ingest(phase("after", "started", T0))
        data, _ = kept.next("violation", timeout_s=5)
        assert data["violation_id"] == "after"
        assert not [e for e, _ in revoked.drain() if e == "violation"]
