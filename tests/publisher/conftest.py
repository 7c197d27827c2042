"""Fixtures for publisher tests: a real Mosquitto, a subscriber that records, event makers."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from publisher.events import Event, TrackedObject, ViolationData, violation_event
from publisher.settings import MqttConfig
from tests.publisher.mosquitto import MOSQUITTO, Mosquitto
from tests.publisher.smalldisk import SmallDisk

SITE, BOX = "plant-7", "edge-01"


@pytest.fixture
def require_mosquitto() -> None:
    # A failure, not a skip: CI without the broker would pass with delivery untested.
    if not (shutil.which("mosquitto") or Path(MOSQUITTO).exists()):
        pytest.fail(f"the MQTT tests need a real broker: mosquitto not found on PATH nor at "
                    f"{MOSQUITTO}; install with: sudo apt-get install mosquitto (.ci/run does)",
                    pytrace=False)


@pytest.fixture
def broker(tmp_path: Path, require_mosquitto: None) -> Iterator[Mosquitto]:
    b = Mosquitto(tmp_path / "broker")
    b.start()
    yield b
    b.kill()


def fast_settings(port: int, **overrides: Any) -> MqttConfig:
    """Short backoff and timeouts so outage tests finish in seconds."""
    base: dict[str, Any] = {
        "host": "127.0.0.1", "port": port, "reconnect_initial_s": 0.05, "reconnect_max_s": 0.4,
        "connect_timeout_s": 3.0, "keepalive_s": 5,
    }
    base.update(overrides)
    return MqttConfig.model_validate(base)


def make_event(
    i: int, *, phase: str = "started", violation_id: str | None = None, camera: str = "cam-1",
    kind: str = "danger_zone", seq: int = 0,
) -> Event:
    now = datetime(2026, 1, 1, 8, 0, 0, tzinfo=UTC)
    data = ViolationData(
        violation_id=violation_id or f"v-{i:05d}", phase=phase,
        site_id=SITE, box_id=BOX, camera_id=camera, zone_id="press-area", kind=kind,
        count=1, max_count=1, started_at=now.isoformat(),
        ended_at=now.isoformat() if phase == "ended" else None, source_time_s=float(i),
        objects=[TrackedObject(id=i, box_xyxy_norm=[0.1, 0.2, 0.3, 0.4], score=0.9)],
    )
    return violation_event(data, now, seq=seq)


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    retain: bool

    def json(self) -> Any:
        return json.loads(self.payload)


class Collector:
    """A subscriber with a persistent session (survives broker restarts with persistence)."""

    def __init__(self, port: int, topic: str = "#", client_id: str = "test-collector", *,
                 username: str | None = None, password: str | None = None,
                 tls: tuple[Path, Path, Path] | None = None) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=False)
        self.client.reconnect_delay_set(0.05, 0.2)  # type: ignore[arg-type]
        if username is not None:
            self.client.username_pw_set(username, password)
        if tls is not None:
            ca, cert, key = tls
            self.client.tls_set(ca_certs=str(ca), certfile=str(cert), keyfile=str(key))
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda c, u, m, rcs, p: self._subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect("localhost" if tls else "127.0.0.1", port, keepalive=5)
        self.client.loop_start()
        assert self._subscribed.wait(10), "collector could not subscribe"

    def _on_message(self, c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Received(msg.topic, bytes(msg.payload), bool(msg.retain)))

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.messages)

    def events(self) -> list[dict[str, Any]]:
        return [m.json() for m in self.snapshot() if "/events/" in m.topic]

    def event_ids(self) -> list[str]:
        return [e["id"] for e in self.events()]

    def wait_for(self, pred: Callable[[list[Received]], bool], timeout_s: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if pred(self.snapshot()):
                return True
            time.sleep(0.02)
        return pred(self.snapshot())

    def close(self) -> None:
        self.client.disconnect()  # ends paho's loop thread without waiting out its select
        self.client.loop_stop()


@pytest.fixture
def collector_factory() -> Iterator[Callable[..., Collector]]:
    made: list[Collector] = []

    def make(port: int, topic: str = "#", client_id: str = "test-collector",
             **kw: Any) -> Collector:
        c = Collector(port, topic, client_id, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def first_seen_order(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i in ids:
        if i not in seen:
            seen.add(i)
            out.append(i)
    return out


def wait_until(pred: Callable[[], bool], timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmallDisk]:
    """A 4 MiB tmpfs (or its simulation, see smalldisk.py), unmounted after the test."""
    path = tmp_path / "disk"
    path.mkdir()
    disk = SmallDisk(path, monkeypatch)
    try:
        yield disk
    finally:
        disk.unmount()


class HealthLog:
    """An `on_health` listener that records, optionally reacting like the box would."""

    def __init__(self, react: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.reports: list[tuple[str, dict[str, Any]]] = []
        self.threads: set[str] = set()
        self._react = react
        self._lock = threading.Lock()

    def __call__(self, state: str, detail: dict[str, Any]) -> None:
        with self._lock:
            self.reports.append((state, detail))
            self.threads.add(threading.current_thread().name)
        if self._react is not None:
            self._react(state, detail)

    def states(self) -> list[str]:
        with self._lock:
            return [s for s, _ in self.reports]
