"""The real thing for the page tests: a replay of a real video with real zones and evidence,
its events in a real store, the console on a real uvicorn on loopback, Debian's chromium.

    replay = replay_once(assets, tmp)       # once per session (~15 s on two cores)
    console = Console.start(replay, tmp)    # a store with all but the held-back violation
    console.ingest_held()                   # ... which then arrives while a page is open
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

from console.auth import Passwords, add_user
from console.settings import HttpConfig
from console.store import Scope, Store, Violation, ViolationFilter
from console.web.app import create_app
from console.web.context import ConsoleContext
from console.web.evidence import LocalEvidence
from console.web.server import ConsoleServer
from publisher.events import Event

SITE, BOX, CAMERA = "plant-7", "edge-01", "desk"
TZ = ZoneInfo("Asia/Shanghai")
VIDEO = "video/one-by-one-person-detection.mp4"
TABLE = [[0.45, 0.78], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]
# The standing table of the video (tests/edge/test_golden_replay.py) twice: a danger zone
# (somebody at it) and a duty post (nobody at it for 4.5 s); both fire several times.
ZONES = [
    {"id": "table", "camera": CAMERA, "kind": "duty_post", "label": "Standing desk",
     "absence_s": 4.5, "return_s": 2, "points": TABLE},
    {"id": "table-keepout", "camera": CAMERA, "kind": "danger_zone", "min_duration_s": 1,
     "clear_s": 3, "points": TABLE},
]
PEOPLE = {"ops": ("operator", "ops password 1"), "ops2": ("operator", "ops2 password 1"),
          "eve": ("viewer", "eve password 1"), "root": ("admin", "root password 1")}
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Replayed:
    events: list[dict[str, Any]]  # every event, in emission order
    evidence_root: Path
    zones: dict[str, dict[str, Any]]
    held_id: str  # the violation held back to arrive live

    @property
    def early(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["data"].get("violation_id") != self.held_id]

    @property
    def held(self) -> list[dict[str, Any]]:
        return [e for e in self.events if e["data"].get("violation_id") == self.held_id]


def replay_once(assets: Path, tmp: Path) -> Replayed:
    """The real pipeline over the real video: detector, tracker, zone rules, evidence
    (snapshots and clips, copied packets). Time starts 10 minutes ago, so the violations
    are today's in the inbox and in the default statistics period."""
    from edge.config.loader import parse_config
    from edge.core.detect import open_detectors
    from edge.evidence.build import recorder_for
    from edge.replay import ReplayOptions, run_replay

    doc = {"site_id": SITE, "box_id": BOX, "timezone": TZ.key,
           "detector": {"model": str(assets / "models" / "yolox_nano.onnx")},
           "cameras": [{"id": CAMERA, "url": str(assets / VIDEO), "analysis_fps": 5}],
           "zones": ZONES, "storage": {"directory": str(tmp / "box")}}
    cfg = parse_config(yaml.safe_dump(doc))
    sessions, _ = open_detectors(cfg)
    recorder = recorder_for(cfg, CAMERA)
    start = (datetime.now(TZ) - timedelta(minutes=10)).replace(microsecond=0)
    try:
        result = run_replay(cfg, ReplayOptions(CAMERA, assets / VIDEO, start_at=start),
                            sessions, [], recorder)
    finally:
        recorder.stop()
    events = [e.to_wire() for e in result.events]
    started = [e["data"] for e in events if e["data"].get("phase") == "started"]
    held = max(started, key=lambda d: d["source_time_s"])["violation_id"]
    zones = {z.id: z.model_dump(mode="json", exclude_none=True) for z in cfg.zones}
    return Replayed(events, tmp / "box" / "evidence", zones, held)


@dataclass
class Console:
    store: Store
    server: ConsoleServer
    replay: Replayed
    emitted: list[Event]  # what the console sent on (review.decided events)

    @classmethod
    def start(cls, replay: Replayed, tmp: Path) -> Console:
        store = Store.open(f"sqlite:///{tmp / 'console.db'}")
        for name, (role, password) in PEOPLE.items():
            add_user(store, name, password, role, actor="system", passwords=Passwords.cheap())
        results = store.ingest_many(replay.early)
        assert all(r.status == "applied" for r in results), results
        emitted: list[Event] = []
        ctx = ConsoleContext(
            store=store, http=HttpConfig(), timezone=TZ, emit=emitted.append,
            evidence=LocalEvidence(replay.evidence_root), site_id=SITE, box_id=BOX,
            zones=lambda camera, zone: replay.zones.get(zone))
        server = ConsoleServer(create_app(ctx), "127.0.0.1", 0)
        server.start()
        return cls(store, server, replay, emitted)

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.store.close()

    def ingest_held(self) -> None:
        """The held-back violation arrives, phase by phase, as from the box."""
        for event in self.replay.held:
            self.store.ingest(event)

    def violations(self, **filters: Any) -> list[Violation]:
        return self.store.list_violations(ViolationFilter(**filters), Scope.all()).items

    def get(self, violation_id: str) -> Violation:
        return self.store.get_violation(violation_id, Scope.all())


@dataclass
class Watched:
    """Pages whose console errors and uncaught errors fail the test."""

    console_url: str
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def expect_error(self, text: str) -> None:
        """A console error the test provokes on purpose (the browser logs every 4xx answer
        as one): allowed once per call, any other still fails the test."""
        self.expected.append(text)

    def unexpected(self) -> list[str]:
        left = list(self.expected)
        out = []
        for p in self.problems:
            hit = next((e for e in left if e in p), None)
            if hit is None:
                out.append(p)
            else:
                left.remove(hit)
        return out

    def page(self, user: str | None = "ops", viewport: dict[str, int] | None = None,
             locale: str = "en-GB") -> Page:
        context = self.browser.new_context(viewport=viewport or DESKTOP, locale=locale,
                                           base_url=self.console_url)
        self.contexts.append(context)
        if user is not None:
            r = context.request.post("/api/login", data={"username": user,
                                                         "password": PEOPLE[user][1]})
            assert r.ok, r.text()
        page = context.new_page()
        self.watch(page)
        return page

    def watch(self, page: Page) -> None:
        def on_console(msg: ConsoleMessage) -> None:
            if msg.type in ("error", "assert"):
                self.problems.append(f"console {msg.type} on {page.url}: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda e: self.problems.append(f"page error on {page.url}: {e}"))

    def close(self) -> None:
        for c in self.contexts:
            with suppress(Exception):
                c.close()


def wait_until(cond: Callable[[], bool], timeout_s: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        time.sleep(0.05)


def screenshots_dir(fallback: Path) -> Path:
    """docs/screenshots when SITEWARDEN_SCREENSHOTS=1 (to refresh the documentation's
    pictures), else a temporary folder: the pictures are taken either way."""
    import os

    if os.environ.get("SITEWARDEN_SCREENSHOTS") == "1":
        d = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
    else:
        d = fallback
    d.mkdir(parents=True, exist_ok=True)
    return d
