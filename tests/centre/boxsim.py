"""Simulated boxes for the centre's load test and benchmark.

    plan = fleet_plan(boxes=100, violations_per_box=15, seed=1)
    sim = BoxFleet(port, plan.boxes)          # one MQTT connection per box, Last Will set,
    sim.start()                               # retained online status with box info
    sim.publish(plan.messages(dup_frac=0.1, rng=random.Random(2)))   # shuffled, QoS 1
    sim.wait_published(60)                    # every PUBACK (paho resends across restarts)

Each violation goes started -> updated -> ended -> updated (evidence_ready), as a box emits
them, numbered per box with the CloudEvents `sequence` in emission order; every tenth is
also decided on the box's own console (a sitewarden.review.decided event, numbered too).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from publisher.events import (
    EvidenceRef,
    ReviewData,
    TrackedObject,
    ViolationData,
    review_event,
    violation_event,
)

TZ = timezone(timedelta(hours=8))
T0 = datetime(2026, 3, 14, 8, 0, tzinfo=TZ)
PREFIX = "sitewarden"
Message = tuple[str, bytes]  # topic, payload


@dataclass
class BoxPlan:
    site_id: str
    box_id: str
    camera_id: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def last_sequence(self) -> int:
        return len(self.events)


@dataclass
class FleetPlan:
    boxes: list[BoxPlan]

    def violations(self) -> dict[str, dict[str, Any]]:
        """violation_id -> its last `updated` (evidence_ready) data, what must be stored."""
        out = {}
        for b in self.boxes:
            for e in b.events:
                if e["type"].startswith("sitewarden.violation."):
                    out[e["data"]["violation_id"]] = e["data"]
        return out

    def decisions(self) -> list[dict[str, Any]]:
        return [e for b in self.boxes for e in b.events
                if e["type"] == "sitewarden.review.decided"]

    def events(self) -> list[dict[str, Any]]:
        return [e for b in self.boxes for e in b.events]

    def messages(self, dup_frac: float, rng: random.Random) -> list[Message]:
        """Every event once plus `dup_frac` of them again, shuffled across boxes."""
        msgs = [(topic(e), encode(e)) for e in self.events()]
        msgs += rng.sample(msgs, int(len(msgs) * dup_frac))
        rng.shuffle(msgs)
        return msgs


def fleet_plan(boxes: int, violations_per_box: int, seed: int = 1,
               sites: int = 10) -> FleetPlan:
    rng = random.Random(seed)
    plans = []
    for i in range(boxes):
        b = BoxPlan(f"plant-{i % sites:02d}", f"edge-{i:03d}", f"cam-{i % 4}")
        for v in range(violations_per_box):
            _violation(b, v, rng)
        plans.append(b)
    return FleetPlan(plans)


def _violation(b: BoxPlan, v: int, rng: random.Random) -> None:
    vid = f"{b.site_id}.{b.box_id}.{b.camera_id}.press.{v:05d}"
    start = T0 + timedelta(minutes=10 * v, seconds=rng.randrange(60))
    end = start + timedelta(seconds=5 + rng.randrange(30))
    peak = 1 + rng.randrange(3)
    steps = [("started", start, 1, None, ""), ("updated", start + timedelta(seconds=2), peak,
                                              None, ""),
             ("ended", end, 0, end, ""), ("updated", end + timedelta(seconds=10), 0, end,
                                          "evidence_ready")]
    for n, (ph, t, count, ended, reason) in enumerate(steps):
        ready = reason == "evidence_ready"
        data = ViolationData(
            violation_id=vid, phase=ph, site_id=b.site_id, box_id=b.box_id,
            camera_id=b.camera_id, zone_id="press", zone_label="1号冲压机 危险区域",
            kind="danger_zone", alarm_type="intrusion", count=count,
            max_count=max(count, peak if n else 1), started_at=start.isoformat(),
            ended_at=ended.isoformat() if ended else None, source_time_s=float(n),
            reason=reason, objects=[TrackedObject(id=7, box_xyxy_norm=[0.1, 0.4, 0.2, 0.9],
                                                  score=0.8)] if count else [],
            evidence=EvidenceRef(ready=ready, snapshot=_ref(b, vid, start, "snapshot.jpg"),
                                 clip=_ref(b, vid, start, "clip.mp4") if ready else None))
        _emit(b, violation_event(data, t, n).to_wire())
    if v % 10 == 0:
        d = ReviewData(violation_id=vid, site_id=b.site_id, box_id=b.box_id,
                       camera_id=b.camera_id, zone_id="press", action="decided",
                       decision="confirmed", decided_by="op-box",
                       decided_at=(end + timedelta(minutes=1)).isoformat())
        _emit(b, review_event(d, end + timedelta(minutes=1), 1).to_wire())


def _ref(b: BoxPlan, vid: str, start: datetime, name: str) -> dict[str, Any]:
    day = start.strftime("%Y/%m/%d")
    return {"url": f"/evidence/{vid}/{name}", "size": 1000, "sha256": "0" * 64,
            "key": f"{PREFIX}/{b.site_id}/{b.box_id}/{b.camera_id}/{day}/{vid}/{name}"}


def _emit(b: BoxPlan, event: dict[str, Any]) -> None:
    event["sequence"] = str(len(b.events) + 1)
    b.events.append(event)


def topic(e: dict[str, Any]) -> str:
    d = e["data"]
    kind = d["kind"] if e["type"].startswith("sitewarden.violation.") else e["type"].split(".")[1]
    return f"{PREFIX}/{d['site_id']}/{d['box_id']}/events/{d['camera_id']}/{kind}"


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class BoxFleet:
    """One paho client per box (its own thread), QoS 1, reconnecting by itself; paho keeps
    unacknowledged messages and sends them again after a reconnect, as a box's outbox does."""

    def __init__(self, port: int, boxes: Iterable[BoxPlan], info: dict[str, str] | None = None
                 ) -> None:
        self.port = port
        self.clients: dict[str, mqtt.Client] = {}
        self._infos: list[mqtt.MQTTMessageInfo] = []
        self._lock = threading.Lock()
        self.info = info or {"version": "1.4.2", "model": "yolox_nano",
                             "config_version": "3f9c2a1"}
        for b in boxes:
            self.clients[f"{b.site_id}/{b.box_id}"] = self._client(b)

    def _client(self, b: BoxPlan) -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sim-{b.site_id}-{b.box_id}",
                        clean_session=False)
        c.max_inflight_messages_set(50)
        c.reconnect_delay_set(0.05, 0.5)  # type: ignore[arg-type]  # seconds; floats work
        status = f"{PREFIX}/{b.site_id}/{b.box_id}/status"
        ids = {"site_id": b.site_id, "box_id": b.box_id}
        link = {"connected_at": ""}

        def will() -> None:
            # As publisher/client.py: the Will names the connection it belongs to.
            link["connected_at"] = datetime.now(TZ).isoformat(timespec="milliseconds")
            c.will_set(status, encode({"state": "offline", **ids, "reason": "connection_lost",
                                       **link, **self.info}), qos=1, retain=True)

        def on_connect(client: mqtt.Client, *_: Any) -> None:
            now = datetime.now(TZ).isoformat(timespec="milliseconds")
            client.publish(status, encode({"state": "online", **ids, "time": now, **link,
                                           "alarms": [], "outbox_backlog": 0, **self.info}),
                           qos=1, retain=True)
            client.publish(f"{PREFIX}/{b.site_id}/{b.box_id}/cameras/{b.camera_id}/status",
                           encode({**ids, "camera_id": b.camera_id, "state": "online",
                                   "time": now, "detail": {"fps": 5.0}}), qos=1, retain=True)

        c.on_connect = on_connect
        c.on_disconnect = lambda *_: will()  # before paho connects again
        will()
        return c

    def start(self, timeout_s: float = 20.0) -> None:
        for c in self.clients.values():
            c.connect_async("127.0.0.1", self.port, keepalive=10)
            c.loop_start()
        deadline = time.monotonic() + timeout_s
        while not all(c.is_connected() for c in self.clients.values()):
            if time.monotonic() > deadline:
                raise AssertionError("the simulated boxes did not connect")
            time.sleep(0.02)

    def publish(self, messages: Iterable[Message], rate_per_s: float = 0.0) -> None:
        t0 = time.monotonic()
        for n, (t, payload) in enumerate(messages, start=1):
            levels = t.split("/")
            client = self.clients[f"{levels[1]}/{levels[2]}"]
            # A box's outbox holds events while the broker is away; here the sender waits
            # (paho would queue them too, but reports those as failed).
            _wait_connected(client)
            info = client.publish(t, payload, qos=1)
            with self._lock:
                self._infos.append(info)
            if rate_per_s and n % 50 == 0:
                ahead = n / rate_per_s - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)

    def wait_published(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with self._lock:
            infos = list(self._infos)
        for info in infos:
            while not info.is_published():
                if time.monotonic() > deadline:
                    left = sum(not i.is_published() for i in infos)
                    raise AssertionError(f"{left} message(s) never acknowledged by the broker")
                time.sleep(0.01)

    def stop(self) -> None:
        for c in self.clients.values():
            c.disconnect()
            c.loop_stop()


def _wait_connected(client: mqtt.Client, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not client.is_connected():
        if time.monotonic() > deadline:
            raise AssertionError("a simulated box did not reconnect")
        time.sleep(0.01)


class Blaster:
    """Publishes pre-encoded messages as fast as the broker takes them, over a few
    connections (a benchmark needs the console to be the bottleneck, not 1,000 paho
    threads); topics still name each message's own box."""

    def __init__(self, port: int, connections: int = 8, inflight: int = 500) -> None:
        self.clients = []
        for i in range(connections):
            c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"blaster-{i}")
            c.max_inflight_messages_set(inflight)
            c.connect("127.0.0.1", port)
            c.loop_start()
            self.clients.append(c)
        self._infos: list[mqtt.MQTTMessageInfo] = []

    def publish(self, messages: list[Message]) -> None:
        n = len(self.clients)
        for i, (t, payload) in enumerate(messages):
            self._infos.append(self.clients[i % n].publish(t, payload, qos=1))

    def wait(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for info in self._infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))

    def stop(self) -> None:
        for c in self.clients:
            c.disconnect()
            c.loop_stop()
