"""Subscribe to a box's events and hand each one over (used by `sitewarden events tail`)."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from publisher import connection
from publisher.backoff import Backoff
from publisher.settings import MqttConfig
from publisher.topics import Topics

log = logging.getLogger(__name__)


class TailError(RuntimeError):
    """The broker could not be reached or refused us; the message says why."""


class EventTail:
    """Runs until `max_events` events were handed over, `timeout_s` passed, or stop()."""

    def __init__(
        self,
        settings: MqttConfig,
        site_id: str,
        box_id: str,
        on_event: Callable[[str, Any], None],
        *,
        camera_id: str | None = None,
        on_subscribed: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.topic_filter = Topics(settings.topic_prefix, site_id, box_id).events_filter(camera_id)
        base = settings.client_id or connection.default_client_id(site_id, box_id)
        self.client_id = f"{base}-tail-{secrets.token_hex(3)}"
        self._on_event = on_event
        self._on_subscribed = on_subscribed
        self._count = 0
        self._failure: str | None = None
        self._stop = False

    def stop(self) -> None:
        self._stop = True

    def run(self, max_events: int | None = None, timeout_s: float | None = None) -> int:
        """Returns the number of events seen; raises TailError if the first connect fails."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        backoff = Backoff(self.settings.reconnect_initial_s, self.settings.reconnect_max_s)
        connected_once = False
        while not self._stop and not self._done(max_events, deadline):
            client = self._connect()
            try:
                connected_once |= self._loop(client, max_events, deadline)
            finally:
                client.disconnect()
            if self._stop or self._done(max_events, deadline):
                break
            if not connected_once:
                raise TailError(self._failure or "connection failed")
            delay = backoff.next_delay_s()
            log.warning("%s; reconnecting in %.1f s", self._failure, delay)
            time.sleep(delay)
        return self._count

    def _done(self, max_events: int | None, deadline: float | None) -> bool:
        return (max_events is not None and self._count >= max_events) or (
            deadline is not None and time.monotonic() >= deadline)

    def _connect(self) -> mqtt.Client:
        client = connection.make_client(self.settings, self.client_id, persistent=False)
        client.on_connect = self._handle_connect
        client.on_subscribe = self._handle_subscribe
        client.on_message = self._handle_message
        client.on_disconnect = self._handle_disconnect
        self._failure = None
        try:
            connection.start_connect(client, self.settings, persistent=False)
        except (OSError, ValueError) as e:
            raise TailError(connection.describe_connect_error(self.settings, e)) from None
        return client

    def _loop(self, client: mqtt.Client, max_events: int | None, deadline: float | None) -> bool:
        connected = False
        connack_by = time.monotonic() + self.settings.connect_timeout_s
        while not self._stop and not self._done(max_events, deadline):
            client.loop(timeout=0.2)
            connected |= client.is_connected()
            if self._failure is not None:
                return connected
            if not connected and time.monotonic() > connack_by:
                self._failure = "no CONNACK within the connect timeout"
                return False
        return connected

    def _handle_connect(self, c: mqtt.Client, u: Any, f: Any, rc: Any, p: Any) -> None:
        if rc.is_failure:
            self._failure = connection.describe_connack(self.settings, rc)
            return
        c.subscribe(self.topic_filter, qos=1)

    def _handle_subscribe(self, c: mqtt.Client, u: Any, mid: int, rcs: Any, p: Any) -> None:
        if any(r.is_failure for r in rcs):
            self._failure = f"broker refused the subscription to {self.topic_filter}"
        elif self._on_subscribed is not None:
            self._on_subscribed(self.topic_filter)

    def _handle_message(self, c: mqtt.Client, u: Any, msg: mqtt.MQTTMessage) -> None:
        try:
            event = json.loads(msg.payload)
        except ValueError:
            log.warning("message on %s is not JSON (%d bytes); skipped", msg.topic,
                        len(msg.payload))
            return
        self._count += 1
        self._on_event(msg.topic, event)

    def _handle_disconnect(self, c: mqtt.Client, u: Any, f: Any, rc: Any, p: Any) -> None:
        if self._failure is None and not self._stop:
            self._failure = f"connection to {self.settings.host}:{self.settings.port} lost ({rc})"
