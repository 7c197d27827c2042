"""Helpers for the centre tests: console configs with short delays, a running replica, raw
MQTT publishing as a box (or an impostor) would, waiting."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from console.centre.config import ConsoleConfig
from console.centre.replica import Replica
from publisher.settings import MqttConfig

ROOT = Path(__file__).resolve().parents[2]


def console_config(db_url: str, port: int, *, client_id: str = "centre-test-a",
                   serve: bool = False, **sections: Any) -> ConsoleConfig:
    raw: dict[str, Any] = {
        "title": "Test centre", "timezone": "Asia/Shanghai",
        "database": {"url": db_url},
        "mqtt": {"host": "127.0.0.1", "port": port, "client_id": client_id,
                 "reconnect_initial_s": 0.05, "reconnect_max_s": 0.5, "keepalive_s": 5,
                 "connect_timeout_s": 3},
        "ingest": {"retry_initial_s": 0.05, "retry_max_s": 0.5},
        "http": {"enabled": serve, "port": 0},
    }
    for key, value in sections.items():
        raw[key] = {**raw.get(key, {}), **value} if isinstance(value, dict) else value
    return ConsoleConfig.model_validate(raw)


def box_settings(port: int, **overrides: Any) -> MqttConfig:
    return MqttConfig.model_validate({
        "host": "127.0.0.1", "port": port, "reconnect_initial_s": 0.05,
        "reconnect_max_s": 0.4, "connect_timeout_s": 3.0, "keepalive_s": 5, **overrides})


def wait_for(cond: Callable[[], Any], timeout_s: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        got = cond()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what or cond}")
        time.sleep(0.02)


@contextmanager
def running(cfg: ConsoleConfig) -> Iterator[Replica]:
    """A replica in this process, subscribed."""
    replica = Replica(cfg)
    replica.start()
    try:
        sub = replica.subscriber
        assert sub is not None
        wait_for(lambda: sub.stats()["subscribed"], 10, "the subscription")
        yield replica
    finally:
        replica.stop()


class RawClient:
    """A plain paho client publishing QoS 1 and waiting for each PUBACK."""

    def __init__(self, port: int, client_id: str = "raw-publisher") -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes | str | dict[str, Any], *,
                retain: bool = False, qos: int = 1) -> None:
        body = json.dumps(payload).encode() if isinstance(payload, dict) else payload
        self.client.publish(topic, body, qos=qos, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def event_topic(ev: dict[str, Any], prefix: str = "sitewarden") -> str:
    d = ev["data"]
    kind = d.get("kind") if ev["type"].startswith("sitewarden.violation.") else \
        ev["type"].split(".")[1]
    return f"{prefix}/{d['site_id']}/{d['box_id']}/events/{d.get('camera_id', '_box')}/{kind}"


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / 'centre.db'}"


class ReplicaProcess:
    """`sitewarden console FILE` in its own process (what a deployment runs), its log in a
    file; kill() is SIGKILL: no clean stop, no last acknowledgements."""

    def __init__(self, config: Path, client_id: str, log_path: Path) -> None:
        self.config, self.client_id, self.log_path = config, client_id, log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "SITEWARDEN_CONSOLE_ID": self.client_id,
               "PYTHONPATH": str(ROOT)}
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "console", str(self.config)],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_subscribed(self, count: int = 1, timeout_s: float = 30.0) -> None:
        wait_for(lambda: self.log().count("MQTT ingest subscribed") >= count
                 or (self.proc is not None and self.proc.poll() is not None), timeout_s,
                 f"{self.client_id} to subscribe")
        assert self.proc is not None and self.proc.poll() is None, self.log()[-3000:]

    def kill(self) -> None:
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


def write_console_file(path: Path, db_url: str, port: int, http_port: int = 0,
                       **extra: Any) -> Path:
    cfg: dict[str, Any] = {
        "title": "Load test centre", "timezone": "Asia/Shanghai",
        "database": {"url": db_url},
        "mqtt": {"host": "127.0.0.1", "port": port, "reconnect_initial_s": 0.05,
                 "reconnect_max_s": 0.5, "keepalive_s": 5},
        "ingest": {"retry_initial_s": 0.05, "retry_max_s": 0.5},
        # the simulated events are months old: no overdue marks in the counts and versions
        "http": {"enabled": http_port != 0, "port": http_port,
                 "review": {"overdue_after_s": 10 * 365 * 86400.0}},
        **extra,
    }
    path.write_text(json.dumps(cfg, indent=2))  # JSON is YAML
    return path


@contextmanager
def sqlite_to_postgres(url: str) -> Iterator[None]:
    """Every Store.open of a SQLite URL opens `url` instead: the console's own API tests,
    written on SQLite, run unchanged on PostgreSQL."""
    from console.store import Store

    original = Store.open.__func__  # type: ignore[attr-defined]

    def open_pg(cls: type[Store], db_url: str, **kw: Any) -> Store:
        return original(cls, url if db_url.startswith("sqlite") else db_url, **kw)

    Store.open = classmethod(open_pg)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Store.open = classmethod(original)  # type: ignore[method-assign,assignment]
