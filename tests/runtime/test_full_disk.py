"""A full disk under a running box: detection and delivery go on, the box says it is
degraded (once per part) and ok again by itself when space comes back.

Real 4 MiB tmpfs (root in CI) holding the whole storage directory (outbox and evidence),
real Mosquitto, a camera (one-by-one-person-detection.mp4 from a file, paced and looped
like a camera: the table is empty until 6.4 s, so the danger zone on it fires at ~7.6 s
and clears at ~20.8 s; see test_golden_replay.py), the supervisor wired as `run` wires it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from edge.config import SiteConfig
from edge.runtime import Supervisor
from edge.runtime.boxhealth import BoxHealth
from publisher.client import Publisher
from tests.publisher.conftest import Collector
from tests.publisher.mosquitto import Mosquitto
from tests.publisher.smalldisk import SmallDisk
from tests.rtsp_server import wait_until
from tests.runtime.helpers import camera, site, to_config

ROOT = "sitewarden/plant-7/edge-01"
CLIP = "video/one-by-one-person-detection.mp4"
TABLE = [[0.45, 0.78], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallDisk]:
    path = tmp_path / "disk"
    path.mkdir()
    d = SmallDisk(path, monkeypatch)
    try:
        yield d
    finally:
        d.unmount()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path / "broker")
    b.start()
    try:
        yield b
    finally:
        b.stop()


@pytest.fixture
def platform(broker: Mosquitto) -> Iterator[Collector]:
    sub = Collector(broker.port, f"{ROOT}/events/#", client_id="platform")
    try:
        yield sub
    finally:
        sub.close()


def _config(assets: Path, disk: Path, port: int) -> SiteConfig:
    zone = {"id": "table", "camera": "cam", "kind": "danger_zone", "min_duration_s": 1,
            "clear_s": 2, "points": TABLE}
    doc = site(assets, disk, [camera("cam", str(assets / CLIP))], [zone],
               mqtt={"host": "127.0.0.1", "port": port, "reconnect_initial_s": 0.05,
                     "reconnect_max_s": 0.4, "outbox": {"retry_s": 0.3}})
    doc["storage"].update({"min_free_bytes": 0,
                           "evidence": {"pre_s": 1, "post_s": 1, "lookback_s": 1}})
    return to_config(doc)


@contextmanager
def _box(cfg: SiteConfig) -> Iterator[Supervisor]:
    """The supervisor and its publisher as `sitewarden run` makes them."""
    assert cfg.mqtt is not None
    health = BoxHealth(cfg.site_id, cfg.box_id)
    pub = Publisher(cfg.mqtt, cfg.site_id, cfg.box_id,
                    Path(cfg.storage.directory) / "outbox.db",
                    on_health=health.reporter("outbox"))
    pub.start()
    sup = Supervisor(cfg, publisher=pub, box_health=health, tick_s=0.2)
    sup.start()
    th = threading.Thread(target=sup.run, daemon=True)
    th.start()
    try:
        yield sup
    finally:
        sup.stop()
        th.join(5)
        sup.close(timeout_s=3.0)
        pub.flush(3.0)
        pub.stop()


def _distinct(sub: Collector) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for e in sub.events():
        seen.setdefault(e["id"], e)
    return list(seen.values())


def _box_events(sub: Collector) -> list[tuple[str, str]]:
    return [(e["data"]["part"], e["type"].rsplit(".", 1)[1]) for e in _distinct(sub)
            if e["type"].startswith("sitewarden.box.")]


def _phases(sub: Collector) -> list[str]:
    return [e["data"]["phase"] for e in _distinct(sub)
            if e["type"] == "sitewarden.violation.danger_zone"
            and e["data"].get("reason") != "evidence_ready"]


def _ok_again(sub: Collector) -> set[str]:
    return {p for p, s in _box_events(sub) if s == "ok"}


EXPECTED_PARTS = {"disk", "outbox", "evidence_storage"}


def _settled(sub: Collector) -> bool:
    """Every part that said degraded has said ok on the wire (the local store's comes last:
    ten quiet seconds after its last failure)."""
    events = _box_events(sub)
    return all(events.count((p, "ok")) >= events.count((p, "degraded"))
               for p, _ in events)


def _check_once_each(sub: Collector) -> None:
    events = _box_events(sub)
    for part in EXPECTED_PARTS:
        assert events.count((part, "degraded")) == 1, events
        assert events.count((part, "ok")) == 1, events
    # The box's own store degrades only if it wrote while the disk was full; then it is one
    # episode too, however often the evidence sweep lets a write through meanwhile.
    n = events.count(("local_store", "degraded"))
    assert n <= 1 and events.count(("local_store", "ok")) == n, events


def test_disk_filled_under_a_running_box(
    assets: Path, disk: SmallDisk, broker: Mosquitto, platform: Collector
) -> None:
    assert disk.mode == "tmpfs", "runs on a real tmpfs (root): the simulation is for others"
    with _box(_config(assets, disk.path, broker.port)) as sup:
        assert wait_until(lambda: sup.runners[0].health.state == "online", 20)
        disk.fill()
        # The violation comes while the disk is full: it is detected and delivered; the
        # snapshot it cannot write and the outbox row it cannot store say so.
        assert wait_until(lambda: "started" in _phases(platform), 30), _box_events(platform)
        assert wait_until(lambda: {(p, "degraded") for p in EXPECTED_PARTS}
                          <= set(_box_events(platform)), 20), _box_events(platform)
        assert sup.health()["status"] == "degraded"
        disk.free()
        # Ok again by itself: the disk at once, the outbox at its next write, the evidence
        # store with the clip written when the violation clears.
        assert wait_until(lambda: _ok_again(platform) >= EXPECTED_PARTS
                          and not sup.box_health.degraded and _settled(platform), 40), \
            _box_events(platform)
        assert "ended" in _phases(platform)
    _check_once_each(platform)


def test_box_started_on_a_full_disk_detects_delivers_and_recovers(
    assets: Path, disk: SmallDisk, broker: Mosquitto, platform: Collector
) -> None:
    assert disk.mode == "tmpfs"
    disk.fill()
    with _box(_config(assets, disk.path, broker.port)) as sup:
        assert wait_until(lambda: "started" in _phases(platform), 40), _box_events(platform)
        assert wait_until(lambda: {(p, "degraded") for p in EXPECTED_PARTS}
                          <= set(_box_events(platform)), 20), _box_events(platform)
        disk.free()
        assert wait_until(lambda: _ok_again(platform) >= EXPECTED_PARTS
                          and not sup.box_health.degraded and _settled(platform), 40), \
            _box_events(platform)
    _check_once_each(platform)
