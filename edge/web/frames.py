"""GET /api/cameras/{id}/frame.jpg: the camera's newest analysed frame, as a JPEG.

At most evidence size (stream.max_width_px, 960 px by default): enough to click points to a
pixel of a substream. One encoding per analysed frame, whoever asks how often (the page
refreshes it about once a second while the live view is on).
"""

from __future__ import annotations

import threading
import time

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from console.roles import Action
from console.web.security import Principal, require
from edge.evidence.snapshot import encode_jpeg
from edge.web.deps import EditorDeps

JPEG_QUALITY = 85


class JpegCache:
    """The newest JPEG of each camera, keyed by the frame it was made from."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_camera: dict[str, tuple[int, bytes, tuple[int, int]]] = {}

    def get(self, camera_id: str, seq: int) -> tuple[bytes, tuple[int, int]] | None:
        with self._lock:
            hit = self._by_camera.get(camera_id)
        return (hit[1], hit[2]) if hit is not None and hit[0] == seq else None

    def put(self, camera_id: str, seq: int, jpeg: bytes, wh: tuple[int, int]) -> None:
        with self._lock:
            self._by_camera[camera_id] = (seq, jpeg, wh)


def router(deps: EditorDeps) -> APIRouter:
    r = APIRouter(prefix="/api/cameras", tags=["editor"])
    cache = JpegCache()

    @r.get("/{camera_id}/frame.jpg", response_class=Response,
           responses={200: {"content": {"image/jpeg": {}}}})
    def frame(camera_id: str,
              principal: Principal = Depends(require(Action.READ))) -> Response:
        """404: no such camera; 503: not running, or no frame analysed yet."""
        deps.allow(principal)
        runner = deps.runner(camera_id)
        latest = runner.latest_frame
        if latest is None:
            raise HTTPException(503, "no frame from this camera yet", {"Retry-After": "2"})
        hit = cache.get(camera_id, latest.seq)
        if hit is None:
            got = runner.latest_picture()
            if got is None:
                raise HTTPException(503, "no frame from this camera yet", {"Retry-After": "2"})
            latest, img = got
            h, w = img.shape[:2]
            hit = (encode_jpeg(img, JPEG_QUALITY), (w, h))
            cache.put(camera_id, latest.seq, *hit)
        jpeg, (w, h) = hit
        sw, sh = latest.resolution_wh
        age = max(0.0, time.monotonic() - latest.received_mono_s)
        return Response(jpeg, media_type="image/jpeg", headers={
            "Cache-Control": "no-store", "X-Frame-Seq": str(latest.seq),
            "X-Frame-Time": f"{latest.wall_time_s:.3f}", "X-Frame-Age-S": f"{age:.2f}",
            "X-Stream-Resolution": f"{sw}x{sh}", "X-Image-Resolution": f"{w}x{h}"})

    return r
