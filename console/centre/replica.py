"""One console replica of a monitoring centre: web server, MQTT ingest, overdue watcher
(console/web/overdue.py).

    replica = Replica(cfg)          # opens (and migrates) the database
    replica.start()                 # threads; returns once the web server listens
    ...
    replica.stop()                  # ingest commits and acknowledges what it holds, then
                                    # the link closes (its session stays with the broker)

Replicas share nothing but the database and the broker: sessions, users and violations are
in the database, the broker splits the events between them (shared subscription), so any
number run behind a reverse proxy without sticky sessions.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from console.centre.app import centre_context
from console.centre.config import ConsoleConfig
from console.centre.ingest import Ingest
from console.centre.mqtt import Subscriber
from console.store import Store
from console.web.app import create_app
from console.web.overdue import OverdueWatcher
from console.web.server import ConsoleServer

log = logging.getLogger(__name__)


@dataclass
class Part:
    """A long-running part: `run` blocks until `stop` is called."""

    name: str
    run: Callable[[], None]
    stop: Callable[[], None]
    thread: threading.Thread | None = None


class Replica:
    def __init__(self, cfg: ConsoleConfig, *, version: str = "") -> None:
        self.cfg = cfg
        self.store = Store.open(cfg.database.resolved_url())
        self.subscriber: Subscriber | None = None
        self.ingest: Ingest | None = None
        self.parts: list[Part] = []
        if cfg.mqtt is not None:
            self.ingest = Ingest(self.store, cfg.ingest, cfg.mqtt.topic_prefix, ack=self._ack)
            self.subscriber = Subscriber(cfg.mqtt, on_message=self.ingest.submit)
            # Order matters at stop: the ingest drains and hands its last acks to the
            # subscriber, which sends them before it disconnects.
            self.parts += [Part("ingest", self.ingest.run, self.ingest.stop),
                           Part("mqtt", self.subscriber.run, self.subscriber.stop)]
        self.ctx = centre_context(cfg, self.store, ingest_stats=self.stats,
                                  link_stats=self._link_stats, version=version)
        # Every replica runs one: the store's row locks mark each violation once.
        self.overdue = OverdueWatcher(self.ctx)
        self.parts.append(Part("overdue", self.overdue.run, self.overdue.stop))
        self.server: ConsoleServer | None = None
        if cfg.http.enabled:
            self.server = ConsoleServer(create_app(self.ctx), cfg.http.host, cfg.http.port)
        self._stopped = threading.Event()

    def _ack(self, messages: list[Any]) -> None:
        if self.subscriber is not None:
            self.subscriber.ack(messages)

    def _link_stats(self) -> dict[str, Any]:
        return self.subscriber.stats() if self.subscriber is not None else {}

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = self.ingest.snapshot() if self.ingest is not None else {}
        if self.subscriber is not None:
            out["mqtt"] = self.subscriber.stats()
        return out

    def start(self) -> None:
        for part in self.parts:
            part.thread = threading.Thread(target=part.run, name=f"centre-{part.name}",
                                           daemon=True)
            part.thread.start()
        if self.server is not None:
            self.server.start()

    def run(self) -> None:
        """start(), then block until stop()."""
        self.start()
        self._stopped.wait()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.server is not None:
            self.server.stop()
        for part in self.parts:
            part.stop()
            if part.thread is not None:
                part.thread.join(timeout_s)
                if part.thread.is_alive():
                    log.warning("%s did not stop within %.0f s", part.name, timeout_s)
        self.store.close()
        self._stopped.set()
