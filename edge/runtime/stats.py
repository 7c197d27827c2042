"""Per-camera counters and rates, read by /health, /metrics and the publisher's stats."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field


class RateMeter:
    """Events per second over the last `window_s`, from a monotonically growing total."""

    def __init__(self, window_s: float = 10.0) -> None:
        self.window_s = window_s
        self._points: deque[tuple[float, int]] = deque()

    def rate(self, total: int, now_s: float | None = None) -> float:
        now_s = time.monotonic() if now_s is None else now_s
        pts = self._points
        pts.append((now_s, total))
        while len(pts) > 2 and now_s - pts[1][0] >= self.window_s:
            pts.popleft()
        t0, n0 = pts[0]
        return (total - n0) / (now_s - t0) if now_s - t0 > 0.5 else 0.0


@dataclass
class AnalysisCounters:
    """Written by the inference workers under `lock`."""

    analysed: int = 0
    inferred: int = 0
    errors: int = 0
    inference_s_total: float = 0.0
    last_inference_ms: float = 0.0
    ewma_inference_ms: float = 0.0
    last_analysed_wall_s: float | None = None
    latency_ewma_ms: float = 0.0  # frame decoded → rules done
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_inference(self, seconds: float, images: int) -> None:
        with self.lock:
            per_image_ms = 1000.0 * seconds / max(images, 1)
            self.inferred += images
            self.inference_s_total += seconds / max(images, 1) * images
            self.last_inference_ms = per_image_ms
            a = 0.1 if self.ewma_inference_ms else 1.0
            self.ewma_inference_ms += a * (per_image_ms - self.ewma_inference_ms)

    def add_analysed(self, wall_s: float, latency_s: float) -> None:
        with self.lock:
            self.analysed += 1
            self.last_analysed_wall_s = wall_s
            a = 0.1 if self.latency_ewma_ms else 1.0
            self.latency_ewma_ms += a * (1000.0 * latency_s - self.latency_ewma_ms)
