"""uvicorn in a thread: the box serves its console inside the box process.

    server = ConsoleServer(app, "127.0.0.1", 8080)
    server.start()          # returns once it listens (port 0: see server.port)
    ...
    server.stop()           # finishes open requests briefly, then closes streams
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

log = logging.getLogger(__name__)


class ConsoleServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        self.host = host
        # Bound here, so a port taken by another program fails at once with OSError, and
        # port 0 gets a free one before the thread starts.
        # IPPROTO_TCP named, not left 0: asyncio sets TCP_NODELAY only on sockets whose
        # proto says TCP, and accepted connections inherit the listener's. Without it every
        # response written in two pieces (headers, body) waited ~40 ms for a delayed ACK.
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                                   socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._app = app
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread = threading.Thread(target=self.run, name="console-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the console did not start on {self.url}")
            time.sleep(0.02)
        log.info("console on %s", self.url)

    def run(self) -> None:
        self._server.run(sockets=[self._sock])

    def stop(self, timeout_s: float = 5.0) -> None:
        # Event streams never finish by themselves: end them first, or uvicorn's shutdown
        # would wait its graceful timeout on them and then cancel them.
        streams = getattr(self._app.state, "streams", None)
        if streams is not None:
            streams.close()
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(1.0)
        self._sock.close()
