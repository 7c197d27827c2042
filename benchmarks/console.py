"""Console benchmark: ingest rate, a filtered list page through HTTP, event-to-page latency.

    python benchmarks/console.py [--rows 1000000] [--requests 300] [--events 300]
                                 [--workdir DIR [--reuse]] [--smoke]

On SQLite, as a box has it:
  1. fills `violations` with --rows rows (benchmarks/console_store.py's filler: 200 sites x
     2 boxes x 8 cameras, a year of starts, 90 % decided) and reopens the store;
  2. serves the console with a real uvicorn on loopback (ConsoleServer) and times
     GET /api/violations?camera=..&decision=unhandled (as a box's operator filters: camera
     alone), the same with site and box (a centre's), and page 11 through the cursor: p50,
     p95 and max of --requests each, client-side, bearer token checked each time. Goal: p95
     <= 100 ms;
  3. event-to-page: a client holds GET /api/stream open; one `started` event at a time is
     ingested (as the box's dispatcher hands its events to its store) and the time until
     the client has the SSE message for it is measured. Goal: p95 <= 1 s;
  4. events/s into the store: violation lifecycles (started, updated, ended,
     evidence_ready) through ingest_many in batches of 1 (the box's dispatcher, one
     transaction per event) and of 100 (a centre's MQTT ingest), into the filled database,
     with the console stopped.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import httpx

from benchmarks.console_store import fill
from console.auth import create_token
from console.settings import HttpConfig
from console.store import Scope, Store, ViolationFilter
from console.web.app import create_app
from console.web.context import ConsoleContext
from console.web.server import ConsoleServer
from publisher.events import EvidenceRef, TrackedObject, ViolationData, violation_event

GOAL_LIST_P95_MS = 100.0
GOAL_EVENT_TO_PAGE_P95_MS = 1000.0
SITE, BOX, CAMERA = "plant-7", "edge-1", "cam-03"
Phase = Literal["started", "updated", "ended"]


def _summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2),
            "max_ms": round(max(ms), 2)}


def _phases(vid: str, start: float, camera: str = CAMERA) -> list[dict[str, Any]]:
    """One violation's events as a box emits them."""
    def data(phase: Phase, t: float, count: int, reason: str = "", ready: bool = False,
             ended: float | None = None) -> ViolationData:
        return ViolationData(
            violation_id=vid, phase=phase, site_id=SITE, box_id=BOX,
            camera_id=camera, zone_id="zone-1", zone_label="Press", kind="danger_zone",
            alarm_type="intrusion", count=count, max_count=max(count, 1),
            started_at=_iso(start), ended_at=_iso(ended) if ended else None,
            source_time_s=t - start, reason=reason,
            objects=[TrackedObject(id=1, box_xyxy_norm=[0.1, 0.2, 0.3, 0.4], score=0.8)]
            * count, evidence=EvidenceRef(ready=ready))
    steps: list[tuple[Phase, float, int, str, bool, float | None]] = [
        ("started", start, 1, "", False, None), ("updated", start + 2, 2, "", False, None),
        ("ended", start + 9, 0, "", False, start + 9),
        ("updated", start + 20, 0, "evidence_ready", True, start + 9)]
    return [violation_event(data(p, t, c, r, ready, end),
                            datetime.fromtimestamp(t, UTC), i).to_wire()
            for i, (p, t, c, r, ready, end) in enumerate(steps)]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


def measure_ingest(store: Store, lifecycles: int, batch: int) -> dict[str, Any]:
    now = time.time()
    events = [e for i in range(lifecycles)
              for e in _phases(f"ing-{batch}-{uuid.uuid4().hex[:8]}-{i}", now + i)]
    t0 = time.perf_counter()
    for k in range(0, len(events), batch):
        results = store.ingest_many(events[k:k + batch])
        assert all(r.status == "applied" for r in results), results
    took = time.perf_counter() - t0
    return {"batch": batch, "events": len(events), "s": round(took, 2),
            "events_per_s": round(len(events) / took, 1)}


def measure_list(client: httpx.Client, requests: int) -> dict[str, Any]:
    cases = {
        "camera, unhandled (a box)": {"camera": CAMERA, "decision": "unhandled"},
        "site+box+camera, unhandled (a centre)": {"site": SITE, "box": BOX, "camera": CAMERA,
                                                  "decision": "unhandled"},
    }
    out: dict[str, Any] = {}
    for name, params in cases.items():
        out[name] = _timed_get(client, params, requests)
    cursor = None
    params = dict(cases["camera, unhandled (a box)"])
    for _ in range(10):
        cursor = client.get("/api/violations", params={**params, **(
            {"cursor": cursor} if cursor else {})}).json()["next_cursor"]
        if cursor is None:
            break
    if cursor is not None:
        out["camera, unhandled, page 11"] = _timed_get(client, {**params, "cursor": cursor},
                                                       requests)
    return out


def _timed_get(client: httpx.Client, params: dict[str, str], requests: int) -> dict[str, Any]:
    client.get("/api/violations", params=params)  # warm: we time the index, not the disk
    ms = []
    for _ in range(requests):
        t0 = time.perf_counter()
        r = client.get("/api/violations", params=params)
        ms.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.text
    return {**_summary(ms), "items": len(r.json()["items"])}


class _Stream:
    """Reads /api/stream in a thread; arrival time of each violation id."""

    def __init__(self, url: str, token: str) -> None:
        self.arrived: queue.Queue[tuple[str, float]] = queue.Queue()
        self.connected = threading.Event()
        self._url, self._token = url, token
        threading.Thread(target=self._run, daemon=True).start()
        if not self.connected.wait(30):
            raise RuntimeError("the stream did not connect")

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            with httpx.stream("GET", f"{self._url}/api/stream", headers=headers,
                              timeout=httpx.Timeout(10.0, read=None)) as r:
                for line in r.iter_lines():
                    if line == ": connected":
                        self.connected.set()
                    elif line.startswith("data:") and '"violation_id"' in line:
                        vid = json.loads(line[5:])["violation_id"]
                        self.arrived.put((vid, time.perf_counter()))
        except httpx.HTTPError:
            pass  # the server stopped

    def wait_for(self, vid: str, timeout_s: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout_s
        while (left := deadline - time.perf_counter()) > 0:
            try:
                got, at = self.arrived.get(timeout=left)
            except queue.Empty:
                break
            if got == vid:
                return at
        raise TimeoutError(f"no stream message for {vid} within {timeout_s} s")


def measure_event_to_page(store: Store, stream: _Stream, events: int) -> dict[str, Any]:
    ms = []
    for i in range(events):
        vid = f"live-{uuid.uuid4().hex[:12]}"
        started = _phases(vid, time.time())[0]
        t0 = time.perf_counter()
        store.ingest(started)
        ms.append((stream.wait_for(vid) - t0) * 1000)
        time.sleep(0.02 if i % 10 else 0.2)  # a trickle with pauses, as cameras send them
    return _summary(ms)


def run(rows: int, requests: int, events: int, lifecycles: int, workdir: Path,
        reuse: bool = False) -> dict[str, Any]:
    url = f"sqlite:///{workdir / 'console.db'}"
    with Store.open(url) as store:
        filled = store.count_violations(ViolationFilter(), Scope.all())
        fill_s = 0.0 if reuse and filled >= rows else fill(store, rows)
    store = Store.open(url)  # reopened: planner statistics refreshed, as after a restart
    ctx = ConsoleContext(store=store, http=HttpConfig(), timezone=ZoneInfo("Asia/Shanghai"))
    token = create_token(store, f"bench-{uuid.uuid4().hex[:8]}", "viewer")
    server = ConsoleServer(create_app(ctx), "127.0.0.1", 0)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30.0,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            pages = measure_list(client, requests)
        live = measure_event_to_page(store, _Stream(server.url, token), events)
    finally:
        server.stop()
    try:  # the store alone: no open stream re-reading each change meanwhile
        ingest = [measure_ingest(store, lifecycles, 1), measure_ingest(store, lifecycles, 100)]
    finally:
        store.close()
    worst_page = max(p["p95_ms"] for p in pages.values())
    return {
        "rows": max(rows, filled), "fill_s": round(fill_s, 1), "list_page": pages,
        "event_to_page": live, "ingest": ingest,
        "goals": {"list_page_p95_ms": GOAL_LIST_P95_MS,
                  "event_to_page_p95_ms": GOAL_EVENT_TO_PAGE_P95_MS},
        "meets_goals": worst_page <= GOAL_LIST_P95_MS
        and live["p95_ms"] <= GOAL_EVENT_TO_PAGE_P95_MS,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--events", type=int, default=300)
    ap.add_argument("--lifecycles", type=int, default=500, help="violations ingested, x4 events")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--reuse", action="store_true",
                    help="keep the database already filled in --workdir (repeat runs)")
    ap.add_argument("--smoke", action="store_true", help="CI: seconds, figures not judged")
    args = ap.parse_args()
    if args.smoke:
        args.rows, args.requests, args.events, args.lifecycles = 2000, 10, 10, 20
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="sw-console-api-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = {"benchmark": "console", "python": platform.python_version(),
                  "machine": platform.machine(), "backend": "sqlite",
                  **run(args.rows, args.requests, args.events, args.lifecycles, workdir,
                        args.reuse)}
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.stdout.write(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
