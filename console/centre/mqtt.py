"""The ingest's MQTT link: one I/O thread, a connection state machine, manual acknowledgement.

    WAITING --(backoff elapsed)--> CONNECTING --(CONNACK success)--> CONNECTED
       ^                              |  refused / timeout / CONNACK failure   |
       +------------------------------+----------------------------------------+  link lost

The same machine as the box's publisher (docs/mqtt.md): paho's external-loop API on our own
select(), a fresh client per attempt, capped jittered backoff (publisher/backoff.py) reset
by a successful CONNACK. MQTT 5 with clean_start false and a session expiry, so the broker
keeps this replica's subscriptions and queues its messages while it is away (a restart, a
deploy); Receive Maximum bounds how many QoS 1 messages it sends ahead of our acknowledgements.

Every message goes to `on_message` with the number of the link it came on. PUBACKs are sent
only when the ingest calls `ack()` after its transaction committed, on the I/O thread (paho
is not thread-safe), in the order the messages arrived (MQTT requires it), and only on the
link that delivered them: a message received on a link that has since dropped is not
acknowledged (its packet id means nothing on the new link); the broker sends it again.

Subscriptions, made again after every CONNACK:
    $share/<group>/<prefix>/+/+/events/#          events, split between the group's replicas
    <prefix>/+/+/status, <prefix>/+/+/cameras/+/status
        not shared: MQTT 5 sends retained messages only to non-shared subscriptions, and
        every replica needs the whole fleet's state anyway (it is small)
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from console.centre.config import CentreMqttConfig
from publisher import connection
from publisher.backoff import Backoff
from publisher.link import LinkState
from publisher.ratelog import RateLimitedLog

log = logging.getLogger(__name__)
_READS_PER_TURN = 500


@dataclass(frozen=True)
class Received:
    topic: str
    payload: bytes
    mid: int
    qos: int
    retained: bool
    link: int  # the link (connection) that delivered it
    received_s: float  # time.monotonic() at arrival


class _Link:
    """One connection attempt; owned by the I/O thread."""

    def __init__(self, number: int, client: mqtt.Client, deadline_s: float) -> None:
        self.number = number
        self.client = client
        self.connack_deadline_s = deadline_s
        self.failure: str | None = None
        self.auth_failure = False


class Subscriber:
    def __init__(
        self, settings: CentreMqttConfig, on_message: Callable[[Received], None]
    ) -> None:
        self.settings = settings
        self._link_settings = settings.link_settings()
        self.client_id = settings.resolved_client_id()
        connection.tls_context(self._link_settings)  # bad TLS files fail here, at start
        self._on_message = on_message
        self._backoff = Backoff(settings.reconnect_initial_s, settings.reconnect_max_s)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._lock = threading.Lock()
        self._acks: deque[Received] = deque()
        self._stopping = threading.Event()
        self._link: _Link | None = None
        self._links = 0
        self._state = LinkState.WAITING
        self._retry_at_s = 0.0
        self._limited = RateLimitedLog(log)
        self._n = dict.fromkeys(("connect_attempts", "connects", "received", "acked",
                                 "acks_dropped", "subscribe_failures", "loop_errors"), 0)
        self._last_error: str | None = None
        self._session_present: bool | None = None
        self._subscribed = False  # SUBACK granted every filter on the current link

    @property
    def filters(self) -> list[str]:
        p, group = self.settings.topic_prefix, self.settings.share_group
        return [f"$share/{group}/{p}/+/+/events/#", f"{p}/+/+/status",
                f"{p}/+/+/cameras/+/status"]

    # ---------------------------------------------------------------- any thread

    def ack(self, messages: list[Received]) -> None:
        """Acknowledge these messages (in this order) once their transaction committed."""
        if not messages:
            return
        with self._lock:
            self._acks.extend(messages)
        self._wake()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"state": self._state.value, "client_id": self.client_id,
                    "broker": f"{self.settings.host}:{self.settings.port}",
                    "session_present": self._session_present, "subscribed": self._subscribed,
                    "last_error": self._last_error,
                    "pending_acks": len(self._acks), **self._n}

    @property
    def connected(self) -> bool:
        return self._state is LinkState.CONNECTED

    def stop(self) -> None:
        self._stopping.set()
        self._wake()

    # ---------------------------------------------------------------- I/O thread

    def run(self) -> None:
        """The I/O loop; returns after stop(). It never ends on an error: any exception is
        logged, counted, and the loop goes on with a fresh link after a backoff."""
        try:
            while not self._stopping.is_set():
                try:
                    self._turn()
                except Exception as e:  # the loop must outlive any bug
                    self._loop_failed(e)
        finally:
            self._close_link(disconnect=True)
            self._set_state(LinkState.STOPPED)
            self._wake_r.close()
            self._wake_w.close()

    def _turn(self) -> None:
        if self._link is None:
            wait_s = self._retry_at_s - time.monotonic()
            if wait_s > 0:
                self._select([], min(wait_s, 1.0))
                return
            self._open_link()
        else:
            self._service(self._link)

    def _loop_failed(self, e: Exception) -> None:
        with self._lock:
            self._n["loop_errors"] += 1
        if self._limited.due(f"loop:{type(e).__name__}"):
            log.error("MQTT ingest I/O loop error (it goes on with a new connection)",
                      exc_info=e)
        self._close_link(disconnect=False)
        self._link_failed(f"I/O loop error: {e}", auth=False)

    def _open_link(self) -> None:
        s = self._link_settings
        with self._lock:
            self._n["connect_attempts"] += 1
        self._set_state(LinkState.CONNECTING)
        self._links += 1
        try:
            client = connection.make_client(s, self.client_id, persistent=True)
            client.manual_ack_set(True)
            link = _Link(self._links, client, time.monotonic() + s.connect_timeout_s)
            client.on_connect = lambda c, u, f, rc, p: self._on_connect(link, f, rc)
            client.on_disconnect = lambda c, u, f, rc, p: self._on_disconnect(link, rc)
            client.on_subscribe = lambda c, u, mid, rcs, p: self._on_subscribe(rcs)
            client.on_message = lambda c, u, msg: self._on_msg(link, msg)
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = self.settings.session_expiry_s
            props.ReceiveMaximum = self.settings.receive_maximum
            rc = client.connect(s.host, s.port, s.keepalive_s, clean_start=False,
                                properties=props)
            if rc != mqtt.MQTT_ERR_SUCCESS:
                raise OSError(f"cannot send CONNECT: {mqtt.error_string(rc)}")
        except (OSError, ValueError) as e:
            self._link_failed(connection.describe_connect_error(s, e), auth=False)
            return
        self._link = link

    def _service(self, link: _Link) -> None:
        sock = link.client.socket()
        if sock is None:
            self._drop(link, link.failure or "connection closed")
            return
        connecting = self._state is LinkState.CONNECTING
        timeout = max(0.0, link.connack_deadline_s - time.monotonic()) if connecting else 1.0
        readable, writable = self._select([sock], timeout, link.client.want_write())
        if readable:
            self._read(link, sock)
        if self._link is link and self._state is LinkState.CONNECTED:
            self._send_acks(link)
        if writable or link.client.want_write():
            link.client.loop_write()
        link.client.loop_misc()
        if link.failure is not None or link.client.socket() is None:
            self._drop(link, link.failure or "connection lost")
        elif connecting and time.monotonic() > link.connack_deadline_s:
            self._drop(link, f"MQTT broker {self.settings.host}:{self.settings.port}: no "
                       f"CONNACK within {self.settings.connect_timeout_s:g} s")

    def _read(self, link: _Link, sock: Any) -> None:
        """Read what has arrived: paho's loop_read takes one packet per call (a subscriber
        has no outgoing QoS messages to count), so call it while data is waiting, up to a
        bound that keeps acknowledgements and keepalive going."""
        for _ in range(_READS_PER_TURN):
            link.client.loop_read()
            if link.failure is not None or link.client.socket() is None:
                return
            pending = getattr(sock, "pending", None)  # TLS: decrypted bytes already read
            if pending is not None and pending() > 0:
                continue
            if not select.select([sock], [], [], 0)[0]:
                return

    def _send_acks(self, link: _Link) -> None:
        with self._lock:
            todo, self._acks = list(self._acks), deque()
        sent = dropped = 0
        for m in todo:
            if m.link != link.number:
                dropped += 1  # the broker sends it again on this link
            elif m.qos > 0:
                link.client.ack(m.mid, m.qos)
                sent += 1
        with self._lock:
            self._n["acked"] += sent
            self._n["acks_dropped"] += dropped

    def _select(self, socks: list[Any], timeout_s: float,
                want_write: bool = False) -> tuple[bool, bool]:
        r, w, _ = select.select([self._wake_r, *socks], socks if want_write else [], [],
                                timeout_s)
        if self._wake_r in r:
            with contextlib.suppress(BlockingIOError):
                while self._wake_r.recv(4096):
                    pass
        return bool(socks) and socks[0] in r, bool(w)

    # paho callbacks: inside loop_read, on the I/O thread.

    def _on_connect(self, link: _Link, flags: Any, reason_code: Any) -> None:
        if reason_code.is_failure:
            link.auth_failure = connection.is_auth_failure(reason_code)
            link.failure = connection.describe_connack(self._link_settings, reason_code)
            return
        present = bool(getattr(flags, "session_present", False))
        with self._lock:
            self._n["connects"] += 1
            self._session_present = present
            self._last_error = None
        self._backoff.reset()
        self._set_state(LinkState.CONNECTED)
        link.client.subscribe([(f, SubscribeOptions(qos=1)) for f in self.filters])
        log.info("MQTT ingest connected to %s:%d as %s (session %s)", self.settings.host,
                 self.settings.port, self.client_id, "resumed" if present else "new")

    def _on_subscribe(self, reason_codes: list[Any]) -> None:
        failed = [(f, rc) for f, rc in zip(self.filters, reason_codes, strict=False)
                  if getattr(rc, "is_failure", False)]
        with self._lock:
            self._subscribed = not failed
        if not failed:
            log.info("MQTT ingest subscribed to %s", ", ".join(self.filters))
        for f, rc in failed:
            with self._lock:
                self._n["subscribe_failures"] += 1
            log.error("MQTT broker refused the subscription %s (%s); check the broker's ACL "
                      "and that it supports MQTT 5 shared subscriptions", f, rc)

    def _on_disconnect(self, link: _Link, reason_code: Any) -> None:
        if link.failure is None:
            link.failure = (f"MQTT broker {self.settings.host}:{self.settings.port}: "
                            f"connection lost ({reason_code})")

    def _on_msg(self, link: _Link, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self._n["received"] += 1
        self._on_message(Received(msg.topic, bytes(msg.payload), msg.mid, msg.qos,
                                  bool(msg.retain), link.number, time.monotonic()))

    # ---------------------------------------------------------------- helpers

    def _drop(self, link: _Link, message: str) -> None:
        auth = link.auth_failure
        self._close_link(disconnect=False)
        self._link_failed(message, auth=auth)

    def _link_failed(self, message: str, *, auth: bool) -> None:
        delay_s = self._backoff.next_delay_s()
        self._retry_at_s = time.monotonic() + delay_s
        self._set_state(LinkState.AUTH_FAILED if auth else LinkState.WAITING)
        with self._lock:
            self._last_error = message
        self._limited.log(f"link:{message}", logging.ERROR if auth else logging.WARNING,
                          "%s; retrying in %.1f s (unacknowledged messages stay with the "
                          "broker)", message, delay_s)

    def _close_link(self, *, disconnect: bool) -> None:
        link, self._link = self._link, None
        if link is None:
            return
        if disconnect and self._state is LinkState.CONNECTED:
            # A clean DISCONNECT keeps the session (and what was not acknowledged in it).
            with contextlib.suppress(Exception):
                self._send_acks(link)
                link.client.disconnect()
                link.client.loop_write()
        sock = link.client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _set_state(self, state: LinkState) -> None:
        with self._lock:
            self._state = state
            if state is not LinkState.CONNECTED:
                self._subscribed = False

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")
