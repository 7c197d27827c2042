"""Publisher: durable, ordered, at-least-once delivery of events to the MQTT broker.

Callers (pipeline threads) only touch the SQLite outbox and a few in-memory slots, then wake the
I/O thread; they never wait on the network. One I/O thread owns the paho client and runs the
connection state machine with its own select() loop over paho's external-loop API
(loop_read/loop_write/loop_misc), never paho's auto-reconnect:

    WAITING --(backoff elapsed)--> CONNECTING --(CONNACK success)--> CONNECTED
       ^                              |  refused / timeout / CONNACK failure   |
       +------------------------------+----------------------------------------+  link lost

Each attempt uses a fresh paho client, so the store is the only source of retransmissions:
after every CONNACK the unacknowledged outbox rows are sent again from the oldest, then the
events held in memory (publisher/store.py: while the outbox cannot write), at most
`max_inflight` at a time; a row is deleted (a held event forgotten) when the PUBACK carrying
its mid arrives.

Nothing ends the I/O loop but stop(): a failed delete is retried later, and any other
exception is logged, counted, and the loop goes on with a fresh link after a backoff.
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
from pathlib import Path
from typing import Any

from publisher import connection, status
from publisher.backoff import Backoff
from publisher.events import Event
from publisher.link import Link, LinkState
from publisher.ratelog import REPEAT_LOG_S, RateLimitedLog
from publisher.settings import MqttConfig
from publisher.store import EventStore
from publisher.topics import Topics, check_segment

log = logging.getLogger(__name__)

AckListener = Callable[[str | None, float], None]
"""Called on the I/O thread with (event id, emit→PUBACK latency in s) for each acked row."""

HealthListener = Callable[[str, dict[str, Any]], None]
"""Called on the I/O thread, outside every publisher lock (it may call publish_event), with
("degraded", {"reason": "disk_full"|"outbox_error", "message", "affected": ["outbox"],
"held_in_memory": n}) once when the outbox stops working and ("ok", {...}) once when it works
again and nothing is held in memory any more."""


class Publisher:
    def __init__(
        self,
        settings: MqttConfig,
        site_id: str,
        box_id: str,
        outbox_path: Path,
        *,
        ack_listener: AckListener | None = None,
        on_health: HealthListener | None = None,
    ) -> None:
        self.settings = settings
        self.site_id, self.box_id = site_id, box_id
        self.topics = Topics(settings.topic_prefix, site_id, box_id)
        self.client_id = settings.client_id or connection.default_client_id(site_id, box_id)
        connection.tls_context(settings)  # bad TLS files fail here, not in the I/O thread
        # Never fails for a full disk: the store starts in memory mode and retries.
        self.outbox_path = Path(outbox_path)
        self._store = EventStore(self.outbox_path, settings.outbox)
        self._ack_listener = ack_listener
        self._on_health = on_health
        self._backoff = Backoff(settings.reconnect_initial_s, settings.reconnect_max_s)
        self._loop_backoff = Backoff(0.1, 5.0)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._lock = threading.Lock()
        self._drained = threading.Condition()
        self._stopping = threading.Event()
        self._finished = threading.Event()
        self._running = threading.Event()
        self._stop_deadline_s = 0.0
        self._ever_connected = False
        self._thread: threading.Thread | None = None
        self._link: Link | None = None
        self._state = LinkState.WAITING
        self._retry_at_s = 0.0
        self._cameras: dict[str, bytes] = {}
        self._cameras_dirty: set[str] = set()
        self._status_dirty = False
        self._alarms: list[str] = []
        self._box_info: dict[str, Any] = {}
        self._connected_at: str | None = None  # when the current link's CONNECT was sent
        self._status_backlog: int | None = None  # the backlog the last status carried
        self._runtime_stats: dict[str, Any] = {}
        self._stats_due_s = time.monotonic() + settings.stats_interval_s
        self._latencies_s: deque[float] = deque(maxlen=2048)
        self._last_error: str | None = None
        self._last_error_logged_s = 0.0
        self._limited = RateLimitedLog(log)
        self._n = dict.fromkeys(
            ("sent", "acked", "rejected", "reconnects", "connect_attempts",
             "snapshots_dropped", "stats_published", "loop_errors"), 0)
        self._update_alarms()

    # ---------------------------------------------------------------- caller API

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("publisher already started")
        self._thread = threading.Thread(target=self.run, name="mqtt-publisher", daemon=True)
        self._thread.start()

    def publish_event(self, event: Event) -> Event:
        """Number the event (CloudEvents `sequence`), commit it to the outbox (durable on
        return) or, while the outbox cannot write, hold it in memory; then let it be sent.
        Returns the numbered event: the one to pass on (its `to_wire()` is what is sent)."""
        if not event.id:
            raise ValueError("an event needs a non-empty id")
        topic = self.topics.event(event)
        numbered = self._store.add_event(event, topic)
        self._after_outbox_change()
        self._wake()
        return numbered

    def publish_snapshot(self, camera_id: str, violation_id: str, jpeg: bytes) -> None:
        """Queue a JPEG on the snapshot topic (off unless mqtt.snapshots.enabled)."""
        cfg = self.settings.snapshots
        if not cfg.enabled:
            return
        topic = self.topics.snapshot(camera_id, violation_id)
        if not jpeg.startswith(b"\xff\xd8"):
            raise ValueError(f"snapshot for {violation_id} is not a JPEG (no FF D8 marker)")
        if len(jpeg) > cfg.max_bytes:
            with self._lock:
                self._n["snapshots_dropped"] += 1
            log.warning("snapshot of %s not sent: %d bytes > mqtt.snapshots.max_bytes %d",
                        violation_id, len(jpeg), cfg.max_bytes)
            return
        if not self._store.add_snapshot(topic, jpeg, violation_id):
            with self._lock:
                self._n["snapshots_dropped"] += 1
            self._limited.log("snapshot", logging.WARNING, "snapshot of %s not sent: the outbox "
                              "cannot store it (%s)", violation_id, self._store.error)
            return
        self._after_outbox_change()
        self._wake()

    def set_camera_status(
        self, camera_id: str, state: str, detail: dict[str, Any] | None = None
    ) -> None:
        """Retained per-camera status; only the latest state is kept and (re)sent."""
        check_segment(camera_id, "camera id")
        payload = status.camera_status(self.site_id, self.box_id, camera_id, state, detail)
        with self._lock:
            self._cameras[camera_id] = payload
            self._cameras_dirty.add(camera_id)
        self._wake()

    def set_box_info(self, info: dict[str, Any]) -> None:
        """What the box tells about itself in its retained status (and its Last Will, from
        the next connection on): `version` (software), `model` (detector), `config_version`
        (e.g. a short hash of the site file); None removes one. The status is sent again
        when this changes. The outbox backlog is added by the publisher itself."""
        checked = status.check_box_info(info)
        with self._lock:
            if checked == self._box_info:
                return
            self._box_info = checked
        self._status_dirty = True
        self._wake()

    def publish_stats(self, stats: dict[str, Any]) -> None:
        """Send runtime stats now (QoS 0, not stored); repeated every stats_interval_s."""
        with self._lock:
            self._runtime_stats = dict(stats)
            self._stats_due_s = 0.0
        self._wake()

    def flush(self, timeout_s: float) -> bool:
        """Wait until every stored or held message is acknowledged; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._drained:
            while self._store.undelivered() > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._drained.wait(min(left, 0.2))
        return True

    def is_pending(self, violation_id: str) -> bool:
        """True while a message of the violation is stored or held and not acknowledged."""
        return self._store.is_pending(violation_id)

    def stats(self) -> dict[str, Any]:
        st = self._store
        use = st.usage()
        link = self._link  # read once: the I/O thread may drop the link meanwhile
        with self._lock:
            lat = sorted(self._latencies_s)
            out: dict[str, Any] = {
                "state": self._state.value,
                "connected": self._state is LinkState.CONNECTED,
                "client_id": self.client_id,
                "broker": f"{self.settings.host}:{self.settings.port}",
                "outbox_depth": use.depth,
                "outbox_bytes": use.bytes,
                "outbox_max_bytes": self.settings.outbox.max_bytes,
                "merged": use.merged,
                "dropped": use.dropped,
                "inflight": len(link.inflight) if link else 0,
                "last_error": self._last_error,
                "alarms": list(self._alarms),
                **self._n,
            }
        out.update(st.stats())
        out["ack_latency_ms_p50"] = _pct_ms(lat, 0.50)
        out["ack_latency_ms_p95"] = _pct_ms(lat, 0.95)
        return out

    def stop(self, timeout_s: float = 5.0) -> None:
        """Publish `offline` (retained), wait briefly for in-flight PUBACKs, disconnect."""
        self._stop_deadline_s = time.monotonic() + max(0.0, timeout_s - 0.5)
        self._stopping.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.warning("MQTT publisher thread did not stop within %.1f s", timeout_s)
                return
        elif self._running.is_set() and not self._finished.wait(timeout_s):
            log.warning("MQTT publisher run() did not return within %.1f s", timeout_s)
            return
        self._store.close()
        self._wake_r.close()
        self._wake_w.close()

    # ---------------------------------------------------------------- I/O thread

    def run(self) -> None:
        """The I/O loop; returns after stop() and never before."""
        self._running.set()
        try:
            while not self._stopping.is_set():
                try:
                    self._turn()
                except Exception as e:  # the loop must outlive any bug
                    self._loop_failed(e)
            try:
                self._shutdown()
            except Exception:
                log.exception("MQTT publisher: error while stopping")
                self._close_link()
        finally:
            self._set_state(LinkState.STOPPED)
            self._finished.set()

    def _turn(self) -> None:
        self._maintain()
        if self._link is None:
            self._idle_until_retry()
        else:
            self._service()
        if self._loop_backoff.attempts:
            self._loop_backoff.reset()

    def _loop_failed(self, e: Exception) -> None:
        """Log and count, start over with a fresh link (the simplest consistent state: every
        unacknowledged message is sent again), after a backoff that stop() interrupts."""
        with self._lock:
            self._n["loop_errors"] += 1
        delay_s = self._loop_backoff.next_delay_s()
        if self._limited.due(f"loop:{type(e).__name__}:{e}"):
            log.error("MQTT publisher I/O loop error (it goes on in %.1f s; events stay in the "
                      "outbox or in memory)", delay_s, exc_info=e)
        self._close_link()
        self._set_state(LinkState.WAITING)
        self._retry_at_s = time.monotonic() + delay_s
        with contextlib.suppress(OSError, ValueError):  # the wake socket itself may be broken
            self._select([], delay_s)

    def _maintain(self) -> None:
        """Acked-row deletes, outbox probing and moving held events, health reports."""
        now = time.monotonic()
        if self._store.delete_acked(now):
            self._after_outbox_change()
            self._notify_drained()
        moved = self._store.tend(now)
        if moved:
            if self._link is not None:
                self._link.remap_moved(moved)
            self._after_outbox_change()
        self._report_health()

    def _timer_s(self, limit_s: float) -> float:
        """Seconds to wait at most before the next turn has store work to do."""
        return max(0.0, min(limit_s, self._store.next_due_s() - time.monotonic()))

    def _idle_until_retry(self) -> None:
        wait_s = self._retry_at_s - time.monotonic()
        if wait_s > 0:
            self._select([], self._timer_s(min(wait_s, 1.0)))
            return
        self._open_link()

    def _open_link(self) -> None:
        s = self.settings
        connected_at = status.now_iso()  # the Will and this link's statuses share it
        with self._lock:
            info = dict(self._box_info)
            self._connected_at = connected_at
        will = (self.topics.status, status.box_status(
            "offline", self.site_id, self.box_id, reason="connection_lost", with_time=False,
            info=info, connected_at=connected_at))
        with self._lock:
            self._n["connect_attempts"] += 1
        self._set_state(LinkState.CONNECTING)
        try:
            client = connection.make_client(s, self.client_id, persistent=True, will=will)
            link = Link(client, time.monotonic() + s.connect_timeout_s)
            client.on_connect = lambda c, u, f, rc, p: self._on_connect(link, rc)
            client.on_disconnect = lambda c, u, f, rc, p: self._on_disconnect(link, rc)
            client.on_publish = lambda c, u, mid, rc, p: self._on_publish(link, mid, rc)
            connection.start_connect(client, s, persistent=True)
        except (OSError, ValueError) as e:
            self._link_failed(connection.describe_connect_error(s, e), auth=False)
            return
        self._link = link

    def _service(self) -> None:
        link = self._link
        assert link is not None
        sock = link.client.socket()
        if sock is None:
            self._drop_link(link, link.failure or "connection closed", link.auth_failure)
            return
        if self._state is LinkState.CONNECTING:
            timeout = self._timer_s(link.connack_deadline_s - time.monotonic())
        else:
            timeout = self._timer_s(min(1.0, self._stats_due_s - time.monotonic()))
        readable, writable = self._select([sock], timeout, want_write=link.client.want_write())
        if readable:
            link.client.loop_read()
        if writable and self._link is link:
            link.client.loop_write()
        if self._link is link:
            link.client.loop_misc()
        if link.failure is not None or link.client.socket() is None:
            self._drop_link(link, link.failure or "connection lost", link.auth_failure)
        elif self._state is LinkState.CONNECTING and time.monotonic() > link.connack_deadline_s:
            self._drop_link(link, f"MQTT broker {self.settings.host}:{self.settings.port}: "
                            f"no CONNACK within {self.settings.connect_timeout_s:g} s", False)
        elif self._state is LinkState.CONNECTED:
            self._flush_acks()
            self._pump(link)

    def _select(
        self, socks: list[Any], timeout_s: float, want_write: bool = False
    ) -> tuple[bool, bool]:
        r, w, _ = select.select([self._wake_r, *socks], socks if want_write else [], [], timeout_s)
        if self._wake_r in r:
            with contextlib.suppress(BlockingIOError):
                while self._wake_r.recv(4096):
                    pass
        return bool(socks) and socks[0] in r, bool(w)

    def _pump(self, link: Link) -> None:
        """Status and cameras, then fill the in-flight window (outbox rows first: they are
        older than every held event), then stats."""
        if self._status_dirty:
            self._status_dirty = False
            self._send(link, self.topics.status, self._online_payload(), retain=True)
        with self._lock:
            cams = [(c, self._cameras[c]) for c in sorted(self._cameras_dirty)]
            self._cameras_dirty.clear()
        for cam, payload in cams:
            self._send(link, self.topics.camera_status(cam), payload, retain=True)
        sent = link.fill(self._store, self.settings.max_inflight)
        if sent:
            with self._lock:
                self._n["sent"] += sent
        if link.failure is None and time.monotonic() >= self._stats_due_s:
            self._publish_stats_now(link)

    def _send(self, link: Link, topic: str, payload: bytes, *, retain: bool, qos: int = 1) -> None:
        link.send(topic, payload, retain=retain, qos=qos)

    def _publish_stats_now(self, link: Link) -> None:
        with self._lock:
            runtime = dict(self._runtime_stats)
            self._stats_due_s = time.monotonic() + self.settings.stats_interval_s
            self._n["stats_published"] += 1
        payload = status.stats_message(self.site_id, self.box_id, runtime, self.stats())
        self._send(link, self.topics.stats, payload, retain=False, qos=0)
        # The retained status carries the outbox backlog: refreshed at this pace (not on
        # every change) when it moved, so a console sees a box catching up.
        if self._store.undelivered() != self._status_backlog:
            self._status_dirty = True

    # paho callbacks: they run inside loop_read on the I/O thread.

    def _on_connect(self, link: Link, reason_code: Any) -> None:
        if reason_code.is_failure:
            link.auth_failure = connection.is_auth_failure(reason_code)
            link.failure = connection.describe_connack(self.settings, reason_code)
            return
        with self._lock:
            if self._ever_connected:
                self._n["reconnects"] += 1
            self._ever_connected = True
            self._cameras_dirty = set(self._cameras)
            self._last_error = None
        self._status_dirty = True
        self._backoff.reset()
        self._set_state(LinkState.CONNECTED)
        log.info("MQTT connected to %s:%d as %s (%d message(s) waiting)",
                 self.settings.host, self.settings.port, self.client_id,
                 self._store.undelivered())

    def _on_disconnect(self, link: Link, reason_code: Any) -> None:
        if link.failure is not None:
            return
        where = f"MQTT broker {self.settings.host}:{self.settings.port}"
        if self._state is LinkState.CONNECTING:
            link.failure = (
                f"{where} closed the connection before answering CONNECT; check the port and "
                "that mqtt.tls matches the listener (TLS on/off, client certificate required)")
        else:
            link.failure = f"{where}: connection lost ({reason_code})"

    def _on_publish(self, link: Link, mid: int, reason_code: Any) -> None:
        entry = link.inflight.pop(mid, None)
        if entry is None:
            return  # status, camera status or stats message
        if getattr(reason_code, "is_failure", False):
            with self._lock:
                self._n["rejected"] += 1
            log.error("broker rejected event %s (PUBACK: %s); it is kept and retried after "
                      "the next reconnect", entry.event_id, reason_code)
            return
        latency_s = time.time() - entry.created_s
        with self._lock:
            self._n["acked"] += 1
            self._latencies_s.append(latency_s)
        if entry.held:
            self._store.held.remove(entry.key)  # delivered from memory: nothing on disk
            self._notify_drained()
        else:
            self._store.acked(entry.key)
        if self._ack_listener is not None:
            try:
                self._ack_listener(entry.event_id, latency_s)
            except Exception:
                log.exception("ack listener failed for event %s", entry.event_id)

    # ---------------------------------------------------------------- helpers

    def _flush_acks(self) -> None:
        if self._store.delete_acked(time.monotonic()):
            self._after_outbox_change()
            self._notify_drained()

    def _notify_drained(self) -> None:
        with self._drained:
            self._drained.notify_all()

    def _report_health(self) -> None:
        change = self._store.health_change()
        if change is None:
            return
        state, detail = change
        log.log(logging.WARNING if state == "degraded" else logging.INFO,
                "publisher health: %s %s", state, detail)
        if self._on_health is None:
            return
        try:
            self._on_health(state, detail)  # no lock held: it may publish an event
        except Exception:
            log.exception("health listener failed on %s", state)

    def _link_failed(self, message: str, *, auth: bool) -> None:
        delay_s = self._backoff.next_delay_s()
        self._retry_at_s = time.monotonic() + delay_s
        self._set_state(LinkState.AUTH_FAILED if auth else LinkState.WAITING)
        now = time.monotonic()
        with self._lock:
            repeated = message == self._last_error
            self._last_error = message
        if repeated and now - self._last_error_logged_s < REPEAT_LOG_S:
            log.debug("%s; retrying in %.1f s", message, delay_s)
            return
        self._last_error_logged_s = now
        depth = self._store.undelivered()
        log.log(logging.ERROR if auth else logging.WARNING,
                "%s; %d message(s) kept in the outbox; retrying in %.1f s", message, depth, delay_s)

    def _drop_link(self, link: Link, message: str, auth: bool) -> None:
        self._close_link()
        self._link_failed(message, auth=auth)

    def _close_link(self) -> None:
        link, self._link = self._link, None
        if link is None:
            return
        sock = link.client.socket()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def _shutdown(self) -> None:
        link = self._link
        deadline = self._stop_deadline_s or time.monotonic() + 1.0
        if link is not None and self._state is LinkState.CONNECTED:
            with self._lock:
                info, connected_at = dict(self._box_info), self._connected_at
            self._send(link, self.topics.status, status.box_status(
                "offline", self.site_id, self.box_id, reason="stopped", info=info,
                connected_at=connected_at), retain=True)
            # Give in-flight events a moment to be acknowledged; the rest are resent next run.
            while link.inflight and link.failure is None and time.monotonic() < deadline:
                self._service_once_for_shutdown(link, deadline)
            link.client.disconnect()
            if link.client.want_write():
                link.client.loop_write()
        self._close_link()
        self._store.shutdown()
        self._report_health()

    def _service_once_for_shutdown(self, link: Link, deadline: float) -> None:
        sock = link.client.socket()
        if sock is None:
            return
        readable, writable = self._select(
            [sock], max(0.0, min(0.1, deadline - time.monotonic())), link.client.want_write())
        if readable:
            link.client.loop_read()
        if writable and link.client.socket() is not None:
            link.client.loop_write()

    def _online_payload(self) -> bytes:
        backlog = self._store.undelivered()
        with self._lock:
            alarms, info = list(self._alarms), dict(self._box_info)
            self._status_backlog = backlog
            connected_at = self._connected_at
        return status.box_status("online", self.site_id, self.box_id, alarms=alarms,
                                 info=info, outbox_backlog=backlog, connected_at=connected_at)

    def _update_alarms(self) -> None:
        use = self._store.usage()
        max_bytes = self.settings.outbox.max_bytes
        high_water = int(max_bytes * self.settings.outbox.high_water_frac)
        with self._lock:
            old = set(self._alarms)
            new = status.outbox_alarms(old, use.bytes, use.over_budget, max_bytes, high_water)
            if new == old:
                return
            self._alarms = sorted(new)
        self._status_dirty = True
        for alarm in sorted(new - old):
            log.warning("alarm %s raised: outbox holds %d message(s), %d of %d bytes",
                        alarm, use.depth, use.bytes, max_bytes)
        for alarm in sorted(old - new):
            log.info("alarm %s cleared", alarm)

    def _after_outbox_change(self) -> None:
        self._update_alarms()

    def _set_state(self, state: LinkState) -> None:
        with self._lock:
            self._state = state

    def _wake(self) -> None:
        # BlockingIOError: a wake-up is already pending; OSError: closed after stop().
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")


def _pct_ms(sorted_s: list[float], q: float) -> float | None:
    if not sorted_s:
        return None
    return round(1000.0 * sorted_s[min(len(sorted_s) - 1, int(q * len(sorted_s)))], 3)

