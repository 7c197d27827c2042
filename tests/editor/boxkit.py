"""A running box for the editor's tests: a Supervisor started as `sitewarden run` starts it
(real detector, file cameras looped in real time, evidence on), its console on loopback
with the editor's routes, and people of every role.

    box = Box.start(assets, tmp)      # waits until both cameras have a frame
    box.url, box.site_path, box.events(...), box.stop()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from console.auth import Passwords, add_user
from console.web.app import create_app
from console.web.server import ConsoleServer
from edge.config import load_config
from edge.runtime import Supervisor
from edge.web.box import box_context
from edge.web.deps import EditorDeps
from edge.web.editor import editor_deps, routers
from publisher.events import Event
from tests.editor.floor import write_video

PEOPLE = {"ina": ("integrator", "ina password 1"), "vic": ("viewer", "vic password 1"),
          "adm": ("admin", "adm password 1")}
TABLE = [[0.45, 0.78], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]
# The comments and the key order of this file must survive every save of the editor.
SITE = """\
# Zone editor test site: comments, key order and formatting must survive every save.
site_id: plant-7
box_id: edge-01
timezone: Asia/Shanghai
detector:
  model: {model}   # the real detector
cameras:
  - id: desk
    # the one-by-one clip, played looped in real time
    url: {desk}
    analysis_fps: 5
  - id: floor
    url: {floor}   # a synthetic floor with a 1 m grid
    analysis_fps: 2
    health: {{tamper_enabled: false}}   # a still picture, on purpose
zones:
  # A corner nobody walks into; the editor must leave it as it is.
  - id: corner
    camera: desk
    kind: danger_zone
    label: ${{CORNER_LABEL}}
    points: [[0.0, 0.0], [0.1, 0.0], [0.1, 0.1]]   # top left
storage:
  directory: {store}
  evidence: {{pre_s: 5, post_s: 2}}
http:
  host: 127.0.0.1
  port: 0
"""


def site_text(assets: Path, tmp: Path) -> str:
    return SITE.format(model=assets / "models" / "yolox_nano.onnx",
                       desk=assets / "video" / "one-by-one-person-detection.mp4",
                       floor=tmp / "floor.mp4", store=tmp / "store")


@dataclass
class Box:
    sup: Supervisor
    server: ConsoleServer
    site_path: Path
    thread: threading.Thread
    deps: EditorDeps
    _events: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, assets: Path, tmp: Path, monkeypatch: Any = None) -> Box:
        write_video(tmp / "floor.mp4")
        path = tmp / "site.yaml"
        path.write_text(site_text(assets, tmp), encoding="utf-8")
        cfg = load_config(path)
        sup = Supervisor(cfg, path, evidence=True, tick_s=0.5)
        store = sup.local_store.store if sup.local_store is not None else None
        assert store is not None
        for name, (role, password) in PEOPLE.items():
            add_user(store, name, password, role, actor="system", passwords=Passwords.cheap())
        # What box_context does by default (editor_routers(None, sup)), with the deps kept
        # to close the preview worker with the box.
        deps = editor_deps(None, sup)
        ctx = box_context(cfg, sup, store, extra_routers=routers(deps))
        assert cfg.http is not None
        server = ConsoleServer(create_app(ctx), cfg.http.host, cfg.http.port)
        box = cls(sup, server, path, threading.Thread(target=sup.run, daemon=True), deps)
        sup.add_listener(box._on_event)
        sup.start()
        box.thread.start()
        server.start()
        box.wait_for_frames(("desk", "floor"))
        return box

    @property
    def url(self) -> str:
        return self.server.url

    def _on_event(self, ev: Event) -> None:
        with self._lock:
            self._events.append(ev.to_wire())

    def events(self, zone_id: str | None = None, phase: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            evs = list(self._events)
        return [e for e in evs if (zone_id is None or e["data"].get("zone_id") == zone_id)
                and (phase is None or e["data"].get("phase") == phase)]

    def wait_for_frames(self, cameras: tuple[str, ...], timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        for r in self.sup.runners:
            if r.camera_id in cameras:
                while r.latest_frame is None:
                    assert time.monotonic() < deadline, f"no frame from {r.camera_id}"
                    time.sleep(0.1)

    @contextmanager
    def client(self, user: str) -> Iterator[httpx.Client]:
        """An API client logged in as `user`, sending the CSRF token as the pages do."""
        with httpx.Client(base_url=self.url, timeout=120) as c:
            r = c.post("/api/login", json={"username": user, "password": PEOPLE[user][1]})
            assert r.status_code == 200, r.text
            c.headers["X-CSRF-Token"] = r.json()["csrf_token"]
            yield c

    def stop(self) -> None:
        self.deps.preview.close()
        self.server.stop()
        self.sup.stop()
        self.thread.join(5)
        self.sup.close(timeout_s=3.0)


def wait_until(cond: Any, timeout_s: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or cond}")
        time.sleep(0.1)
