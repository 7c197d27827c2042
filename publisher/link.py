"""One MQTT connection attempt: a fresh paho client and the window of messages in flight.

The window is filled from the `EventStore`: outbox rows first, then the events held in memory.
That is emission order because the store keeps every outbox row older than every held event;
held events are therefore only sent once no outbox row is left to send on this link.
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import NamedTuple

import paho.mqtt.client as mqtt

from publisher.store import EventStore


class LinkState(StrEnum):
    WAITING = "waiting"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    AUTH_FAILED = "auth_failed"
    STOPPED = "stopped"


class Inflight(NamedTuple):
    key: int  # outbox row, or the event's sequence number when `held` (in memory)
    held: bool
    event_id: str | None
    created_s: float


class Link:
    """Owned by the I/O thread: nothing here is locked."""

    def __init__(self, client: mqtt.Client, deadline_s: float) -> None:
        self.client = client
        self.connack_deadline_s = deadline_s
        self.inflight: dict[int, Inflight] = {}  # by mid
        self.cursor = 0  # highest outbox row already published (or skipped) on this link
        self.held_cursor = 0  # highest sequence number already published from memory
        self.failure: str | None = None
        self.auth_failure = False

    def send(self, topic: str, payload: bytes, *, retain: bool, qos: int = 1) -> int | None:
        """Publish; the mid, or None (and `failure` set) when paho refused."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            self.failure = f"publish failed: {mqtt.error_string(info.rc)}"
            return None
        return int(info.mid)

    def fill(self, store: EventStore, max_inflight: int) -> int:
        """Fill the window: outbox rows, then held events; returns how many were sent."""
        sent, done = self._fill_rows(store, max_inflight)
        if done and self.failure is None:
            sent += self._fill_held(store, max_inflight)
        return sent

    def _fill_rows(self, store: EventStore, max_inflight: int) -> tuple[int, bool]:
        """(sent, True when no outbox row is left to send on this link)."""
        sent = 0
        while (room := max_inflight - len(self.inflight)) > 0:
            rows = store.rows_after(self.cursor, room)
            if not rows:
                return sent, True
            for row in rows:
                if len(self.inflight) >= max_inflight:
                    return sent, False
                # Acked rows whose delete failed: already delivered, never sent again.
                if not store.is_acked(row.seq):
                    mid = self.send(row.topic, row.payload, retain=row.retain, qos=row.qos)
                    if mid is None:
                        return sent, False
                    self.inflight[mid] = Inflight(row.seq, False, row.event_id, row.created_s)
                    sent += 1
                self.cursor = row.seq
        return sent, False

    def _fill_held(self, store: EventStore, max_inflight: int) -> int:
        sent = 0
        room = max_inflight - len(self.inflight)
        for m in store.held.after(self.held_cursor, room) if room > 0 else []:
            mid = self.send(m.topic, m.payload, retain=m.retain, qos=m.qos)
            if mid is None:
                break
            key = m.sequence or 0
            self.inflight[mid] = Inflight(key, True, m.event_id, m.created_s or time.time())
            self.held_cursor = key
            sent += 1
        return sent

    def remap_moved(self, moved: list[tuple[int, int]]) -> None:
        """Held events (sequence, row) now in the outbox: a PUBACK must delete the row, and
        those already sent on this link must not be sent again from the outbox."""
        rows = dict(moved)
        for mid, f in list(self.inflight.items()):
            if f.held and f.key in rows:
                self.inflight[mid] = f._replace(key=rows[f.key], held=False)
        # Held events were sent only once every outbox row had been, and oldest first, so
        # those sent on this link are a prefix of what moved: skip their rows.
        for seq, row in moved:
            if seq <= self.held_cursor:
                self.cursor = max(self.cursor, row)
