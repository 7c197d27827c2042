"""GET /api/stream: the store's changes as Server-Sent Events, for live pages.

    retry: 3000
    : connected                  changes committed from here on are delivered
    event: violation             data: {"violation_id", "change": "created"|"updated", "item"}
    event: camera                data: {"id": "<site>/<box>/<camera>", "site_id"}
    event: box                   data: {"id": "<site>/<box>", "site_id"}
    event: resync                data: {}   changes were lost: reload what the page shows
    : keepalive                  every 15 s, so proxies keep the connection open

One `StreamHub` per app holds ONE store subscription, read by one thread, and fans each
change out to every open stream. Per stream instead, each browser tab would hold a worker
thread of the event loop's small default pool in a blocking `get` (logins hash passwords
there too) and re-read every changed violation once per tab; here a burst of changes is
one query (`Store.get_violations`) whoever watches. Items are read with the full scope and
each stream gets only the messages of its user's sites: a scoped user never sees another
site's change. A violation change carries the current item (a hint that is also the data),
so a page need not come back for it.

A stream ends when the client goes away (Starlette cancels it) or when the hub is closed:
`ConsoleServer.stop()` closes it first, so uvicorn's shutdown never waits on open streams.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from console.roles import Action
from console.store import Change, Scope, Subscription
from console.store.changes import RESYNC
from console.web.context import ConsoleContext
from console.web.items import item
from console.web.security import Principal, require, still_allowed

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["stream"])

KEEPALIVE_S = 15.0
POLL_S = 0.5  # the hub thread's blocking get: bounds how long close() waits for it
MAX_QUEUED = 1000  # messages waiting for one slow client; beyond that it gets a resync
MAX_BATCH = 500  # changes read in one go (one item query)


@dataclass(frozen=True)
class Message:
    event: str
    site_id: str | None  # None: for every stream (resync)
    data: dict[str, Any]

    def encode(self) -> str:
        return f"event: {self.event}\ndata: {json.dumps(self.data, separators=(',', ':'))}\n\n"


RESYNC_MESSAGE = Message(RESYNC, None, {})


class Client:
    """One open stream: its user's scope and a queue on the stream's own event loop."""

    def __init__(self, scope: Scope, loop: asyncio.AbstractEventLoop,
                 max_queued: int = MAX_QUEUED) -> None:
        self.scope = scope
        self.loop = loop
        self.max_queued = max_queued
        self.queue: asyncio.Queue[Message | None] = asyncio.Queue()

    def wants(self, m: Message) -> bool:
        return m.site_id is None or self.scope.allows(m.site_id)

    def offer(self, messages: list[Message]) -> None:
        """On the client's loop. A client too slow to keep up loses its backlog for one
        resync: it reloads instead of reading stale changes for minutes."""
        for m in messages:
            if self.queue.qsize() >= self.max_queued:
                while not self.queue.empty():
                    self.queue.get_nowait()
                self.queue.put_nowait(RESYNC_MESSAGE)
                return
            self.queue.put_nowait(m)

    def end(self) -> None:
        self.queue.put_nowait(None)


class StreamHub:
    """The app's one store subscription, fanned out to every open stream."""

    def __init__(self, ctx: ConsoleContext, *, keepalive_s: float = KEEPALIVE_S,
                 poll_s: float = POLL_S, max_queued: int = MAX_QUEUED) -> None:
        self.ctx = ctx
        self.keepalive_s = keepalive_s
        self.poll_s = poll_s
        self.max_queued = max_queued
        self._lock = threading.Lock()
        self._clients: set[Client] = set()
        self._sub: Subscription | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def add(self, client: Client) -> bool:
        """Register a stream (blocking: the first one subscribes, which on PostgreSQL waits
        for LISTEN). False once the hub is closed."""
        with self._lock:
            if self._closed:
                return False
            if self._sub is None:
                self._sub = self.ctx.store.subscribe()
                self._thread = threading.Thread(target=self._run, args=(self._sub,),
                                                name="console-stream", daemon=True)
                self._thread.start()
            self._clients.add(client)
            return True

    def remove(self, client: Client) -> None:
        with self._lock:
            self._clients.discard(client)

    def close(self, timeout_s: float = 2.0) -> None:
        """End every stream and the hub's thread (the server is stopping)."""
        with self._lock:
            self._closed = True
            clients, self._clients = list(self._clients), set()
            sub, thread = self._sub, self._thread
        for c in clients:
            _call_soon(c, c.end)
        if sub is not None:
            sub.close()
        if thread is not None:
            thread.join(timeout_s)

    def _run(self, sub: Subscription) -> None:
        while True:
            first = sub.get(self.poll_s)
            if first is None:
                if sub.closed:
                    return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH and (more := sub.get(0)) is not None:
                batch.append(more)
            try:
                messages = self.messages(batch)
            except Exception:  # the database is away: pages reload once it is back
                log.exception("reading %d changes for the live stream failed", len(batch))
                messages = [RESYNC_MESSAGE]
            self._broadcast(messages)

    def messages(self, changes: list[Change]) -> list[Message]:
        """What the changes mean to pages (each violation once, as it is now)."""
        if any(c.kind == RESYNC for c in changes):
            return [RESYNC_MESSAGE]  # the reload it asks for covers the rest of the batch
        unique = list(dict.fromkeys(changes))
        ids = [c.id for c in unique if c.kind == "violation"]
        found = {v.violation_id: v for v in self.ctx.store.get_violations(ids, Scope.all())}
        out = []
        for c in unique:
            if c.kind != "violation":
                out.append(Message(c.kind, c.site_id, {"id": c.id, "site_id": c.site_id}))
            elif (v := found.get(c.id)) is not None:
                # Scope by the row's own site, not by what the notification claimed.
                out.append(Message("violation", v.site_id, {
                    "violation_id": v.violation_id,
                    "change": "created" if v.version == 1 else "updated",
                    "item": item(self.ctx, v)}))
        return out

    def _broadcast(self, messages: list[Message]) -> None:
        with self._lock:
            clients = list(self._clients)
        for c in clients:
            chosen = [m for m in messages if c.wants(m)]
            if chosen and not _call_soon(c, c.offer, chosen):
                self.remove(c)


def _call_soon(client: Client, fn: Any, *args: Any) -> bool:
    try:
        client.loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:  # its loop is gone (a server stopped without closing us)
        return False
    return True


async def _events(hub: StreamHub, client: Client,
                  allowed: Callable[[], bool]) -> AsyncIterator[str]:
    """Registered here, not in the route: a stream whose response never starts (the
    client left at once) never runs this, and so never stays in the hub. Every keepalive
    period the caller is checked again (`allowed`): a stream ends with its login, within
    that period, and the browser's reconnect then meets the login wall."""
    loop = asyncio.get_running_loop()
    try:
        if not await asyncio.to_thread(hub.add, client):
            return
        yield "retry: 3000\n: connected\n\n"
        check_at = loop.time() + hub.keepalive_s
        while True:
            idle = False
            try:
                m = await asyncio.wait_for(client.queue.get(),
                                           max(0.0, check_at - loop.time()))
            except TimeoutError:
                m, idle = None, True
            if loop.time() >= check_at:
                if not await asyncio.to_thread(allowed):
                    return
                check_at = loop.time() + hub.keepalive_s
            if idle:
                yield ": keepalive\n\n"
            elif m is None:
                return
            else:
                yield m.encode()
    finally:
        hub.remove(client)


def hub_of(request: Request) -> StreamHub:
    hub: StreamHub = request.app.state.streams
    return hub


@router.get("/stream", summary="Live changes (Server-Sent Events)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}},
                             "description": "violation, camera, box and resync events"}})
async def stream(request: Request,
                 principal: Principal = Depends(require(Action.READ))) -> StreamingResponse:
    """Changes of the caller's sites from the moment `: connected` arrives; after a
    `resync` event (or a reconnect) reload what the page shows."""
    hub = hub_of(request)
    client = Client(principal.scope, asyncio.get_running_loop(), hub.max_queued)
    return StreamingResponse(
        _events(hub, client, lambda: still_allowed(request, principal)),
        media_type="text/event-stream",
        # no-transform and X-Accel-Buffering: proxies must pass each event on at once
        headers={"Cache-Control": "no-store, no-transform", "X-Accel-Buffering": "no"})
