"""GET /api/cameras/{id}/live: what the camera's analysis sees, per analysed frame, as
Server-Sent Events.

    retry: 2000
    event: frame   data: {"seq", "t", "source_time_s", "detected",
                          "tracks": [{"id", "box": [x1, y1, x2, y2], "feet": [x, y],
                                      "center": [x, y], "score"}],
                          "zones": {"<area zone id>": [track ids it counts now]}}
    : keepalive    every 15 s without frames (camera offline)

Coordinates are normalised like the zones. `zones` is what the running rules count on the
frame (filters, anchors, exclusion masks applied; before flicker bridging): a zone edited in
the page but not saved is not in it. The stream ends when the client leaves, when the box
stops, or after MAX_STREAM_S (EventSource reconnects by itself).

The analysis thread only drops the frame's results into this stream's small queue (the
oldest go when a slow client lags: a live view wants the newest frame, not every frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from console.roles import Action
from console.web.security import Principal, require
from edge.runtime.camera import LiveFrame
from edge.web.deps import EditorDeps

KEEPALIVE_S = 15.0
MAX_STREAM_S = 600.0
QUEUE = 4


def frame_message(lf: LiveFrame) -> str:
    tracks = []
    for t in lf.tracks:
        x1, y1, x2, y2 = (round(float(v), 4) for v in t.box_xyxy_norm)
        tracks.append({"id": t.track_id, "box": [x1, y1, x2, y2],
                       "feet": [round((x1 + x2) / 2, 4), y2],
                       "center": [round((x1 + x2) / 2, 4), round((y1 + y2) / 2, 4)],
                       "score": round(float(t.score), 3)})
    data: dict[str, Any] = {
        "seq": lf.frame.seq, "t": round(lf.frame.wall_time_s, 3),
        "source_time_s": round(lf.frame.source_time_s, 3), "detected": lf.detected,
        "tracks": tracks, "zones": {z: list(ids) for z, ids in lf.members.items()}}
    return f"event: frame\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def router(deps: EditorDeps) -> APIRouter:
    r = APIRouter(prefix="/api/cameras", tags=["editor"])

    @r.get("/{camera_id}/live")
    async def live(camera_id: str, request: Request,
                   principal: Principal = Depends(require(Action.ZONES))) -> StreamingResponse:
        deps.allow(principal)
        runner = deps.runner(camera_id)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[LiveFrame] = asyncio.Queue(QUEUE)

        def offer(lf: LiveFrame) -> None:  # on the event loop
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(lf)

        def on_frame(lf: LiveFrame) -> None:  # on the analysis thread: hand over, no more
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(offer, lf)

        async def stream() -> AsyncIterator[str]:
            runner.watch(on_frame)
            try:
                yield "retry: 2000\n: connected\n\n"
                async for chunk in _frames(queue, request, deps):
                    yield chunk
            finally:
                runner.unwatch(on_frame)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store",
                                          "X-Accel-Buffering": "no"})

    return r


async def _frames(queue: asyncio.Queue[LiveFrame], request: Request,
                  deps: EditorDeps) -> AsyncIterator[str]:
    started = last_sent = time.monotonic()
    while not deps.stopping and time.monotonic() - started < MAX_STREAM_S:
        try:
            lf = await asyncio.wait_for(queue.get(), timeout=1.0)
        except TimeoutError:
            if await request.is_disconnected():
                return
            if time.monotonic() - last_sent >= KEEPALIVE_S:
                last_sent = time.monotonic()
                yield ": keepalive\n\n"
            continue
        last_sent = time.monotonic()
        yield frame_message(lf)
