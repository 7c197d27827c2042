"""Frames handed from ingest to analysis, and the one-frame slot between them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Frame:
    """One decoded, sampled picture of one camera.

    `image_bgr` is the picture at the detector's size (what analysis needs); `decoded` keeps
    the decoder's frame so that evidence can have a larger picture without every frame
    paying for one (see evidence_bgr).
    `source_time_s`: seconds since this camera's ingest started, from stream timestamps
    (continuous across reconnects). `wall_time_s`: the same instant as a UNIX time (stream
    time mapped to the wall clock). `seq`: increasing per camera.
    """

    camera_id: str
    seq: int
    image_bgr: npt.NDArray[np.uint8]
    source_time_s: float
    wall_time_s: float
    received_mono_s: float  # time.monotonic() when decoded, for latency and age
    resolution_wh: tuple[int, int]  # of the stream, before any downscale for analysis
    decoded: Any = None  # av.VideoFrame; None for frames made from arrays (tests)
    evidence_max_width_px: int = 960

    def evidence_bgr(self) -> npt.NDArray[np.uint8]:
        """The picture for snapshots: the decoded frame at most `evidence_max_width_px` wide
        (converted now, only for the few frames that carry a violation update)."""
        if self.decoded is None:
            return self.image_bgr
        w, h = self.resolution_wh
        if w <= self.image_bgr.shape[1]:
            return self.image_bgr
        if w <= self.evidence_max_width_px:
            return np.asarray(self.decoded.to_ndarray(format="bgr24"), dtype=np.uint8)
        out_w = self.evidence_max_width_px
        out_h = round(h * out_w / w / 2) * 2
        small = self.decoded.reformat(out_w, out_h, "bgr24", interpolation="AREA")
        return np.asarray(small.to_ndarray(), dtype=np.uint8)


class LatestFrameSlot:
    """Holds only the newest frame: a put() over an untaken frame replaces it (a counted drop).

    Analysis therefore never works through a backlog; a slow consumer sees fewer, fresher
    frames instead of older ones.
    """

    def __init__(self, on_put: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._on_put = on_put
        self.puts = 0
        self.drops = 0

    def put(self, frame: Frame) -> None:
        with self._lock:
            if self._frame is not None:
                self.drops += 1
            self._frame = frame
            self.puts += 1
        if self._on_put is not None:
            self._on_put()

    def take(self) -> Frame | None:
        with self._lock:
            frame, self._frame = self._frame, None
            return frame

    def peek_received_mono_s(self) -> float | None:
        with self._lock:
            return self._frame.received_mono_s if self._frame is not None else None

    def set_listener(self, on_put: Callable[[], None] | None) -> None:
        self._on_put = on_put
