"""Shared inference for every camera.

Two kinds of workers share the cameras:

- prepare workers take the camera whose pending frame is the oldest, run the cheap part
  (health/tamper, motion gate) and, when the frame needs no detection (motion gating), the
  rules too; a frame that needs detection goes to the inference queue;
- inference workers, each with its own detector session (on a small CPU box, several
  single-thread sessions outrun one multi-thread session), take frames from that queue in
  arrival order, detect and run the rules. When the model accepts a batch, a worker takes
  up to `max_batch` frames and runs them in one session call.

So cheap frames never wait behind a detection. A camera is handled by one worker at a time
(its frames stay in order); while it is busy, newer frames replace the pending one in its
slot (counted as drops): a slow camera never builds a backlog and never holds up another.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Sequence

from edge.core.protocols import DetectorLike
from edge.runtime.camera import CameraRunner, Prepared

log = logging.getLogger(__name__)


class InferenceScheduler:
    def __init__(
        self,
        detectors: Sequence[DetectorLike],
        max_batch: int = 1,
        prepare_workers: int | None = None,
    ) -> None:
        if not detectors:
            raise ValueError("at least one detector session is needed")
        self._detectors = list(detectors)
        self.max_batch = max(1, max_batch)
        self.prepare_workers = prepare_workers or min(4, os.cpu_count() or 1)
        # One lock, two wake-up lists: prepare workers wait for frames, inference workers for
        # jobs (a single condition could wake the wrong kind and lose the wake-up).
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._jobs_cond = threading.Condition(self._lock)
        self._runners: list[CameraRunner] = []
        self._queue: deque[tuple[CameraRunner, Prepared]] = deque()  # ≤ one per camera
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def sessions(self) -> int:
        return len(self._detectors)

    def add(self, runner: CameraRunner) -> None:
        with self._cond:
            self._runners.append(runner)
        runner.slot.set_listener(self.notify)

    def notify(self) -> None:
        with self._cond:
            self._cond.notify()

    def start(self) -> None:
        for i in range(self.prepare_workers):
            t = threading.Thread(target=self._prepare_loop, name=f"prepare-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        for i, det in enumerate(self._detectors):
            t = threading.Thread(target=self._infer_loop, args=(det,), name=f"infer-{i}",
                                 daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._cond.notify_all()
            self._jobs_cond.notify_all()

    def join(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    # ------------------------------------------------------------------ workers
    def _claim_camera(self) -> CameraRunner | None:
        with self._cond:
            while not self._stop.is_set():
                ready = [(t, r) for r in self._runners if not r.busy.is_set()
                         if (t := r.slot.peek_received_mono_s()) is not None]
                if ready:
                    runner = min(ready, key=lambda x: x[0])[1]
                    runner.busy.set()
                    return runner
                self._cond.wait(0.5)
            return None

    def _claim_jobs(self) -> list[tuple[CameraRunner, Prepared]]:
        with self._cond:
            while not self._stop.is_set():
                if self._queue:
                    n = min(self.max_batch, len(self._queue))
                    return [self._queue.popleft() for _ in range(n)]
                self._jobs_cond.wait(0.5)
            return []

    def _release(self, runners: list[CameraRunner]) -> None:
        with self._cond:
            for r in runners:
                r.busy.clear()
            self._cond.notify_all()

    def _prepare_loop(self) -> None:
        while not self._stop.is_set():
            runner = self._claim_camera()
            if runner is None:
                continue
            queued = False
            try:
                queued = self._prepare_one(runner)
            finally:
                if not queued:
                    self._release([runner])

    def _prepare_one(self, runner: CameraRunner) -> bool:
        """True when the frame went to the inference queue (the camera stays busy)."""
        frame = runner.slot.take()
        if frame is None:
            return False
        try:
            prep = runner.prepare(frame)
        except Exception:
            self._failed(runner, "prepare")
            return False
        if prep.needs_inference:
            with self._lock:
                self._queue.append((runner, prep))
                self._jobs_cond.notify()
            return True
        try:
            runner.finish(prep, None)
        except Exception:
            self._failed(runner, "rules")
        return False

    def _infer_loop(self, detector: DetectorLike) -> None:
        while not self._stop.is_set():
            jobs = self._claim_jobs()
            if not jobs:
                continue
            try:
                self._infer(detector, jobs)
            finally:
                self._release([r for r, _ in jobs])

    def _infer(self, detector: DetectorLike, jobs: list[tuple[CameraRunner, Prepared]]) -> None:
        t0 = time.perf_counter()
        try:
            images = [p.frame.image_bgr for _, p in jobs]
            dets = detector.detect_batch(images) if len(images) > 1 else \
                [detector.detect(images[0])]
        except Exception:
            for r, _ in jobs:
                self._failed(r, "inference")
            return
        elapsed = time.perf_counter() - t0
        for (r, p), d in zip(jobs, dets, strict=True):
            r.counters.add_inference(elapsed / len(jobs), 1)
            try:
                r.finish(p, d)
            except Exception:
                self._failed(r, "rules")

    @staticmethod
    def _failed(runner: CameraRunner, stage: str) -> None:
        with runner.counters.lock:
            runner.counters.errors += 1
        log.exception("camera %s: %s failed on a frame (frame skipped)", runner.camera_id, stage)
