"""Detector sessions for a box, and detection of a frame stream on all of them in order.

`replay` and the editor's preview run detection on every session at once (frames in flight
in parallel) and put the results back in frame order before tracking, so their output is
the same as one session's, only sooner. The live runtime shares the same sessions through
its scheduler (edge/runtime/scheduler.py).
"""

from __future__ import annotations

import os
import queue
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from edge.config import SiteConfig
from edge.core.frames import Frame
from edge.core.protocols import DetectorLike
from models.detector import Detector
from models.types import Detections

T = TypeVar("T")


def open_detector(cfg: SiteConfig, threads: int | None = None) -> Detector:
    d = cfg.detector
    return Detector.open(
        d.model,
        adapter=d.adapter,
        score_threshold=d.score_threshold,
        nms_iou=d.nms_iou,
        input_size=d.input_size,
        providers=list(d.providers) if d.providers else None,
        threads=threads or d.threads,
    )


def open_detectors(cfg: SiteConfig) -> tuple[list[Detector], int]:
    """Sessions and batch size for this box: one batched session when the model has a batch
    axis and runs on an accelerator, else `detector.sessions` sessions of
    `detector.threads` threads (default: one per core).

    On CPU batching loses: yolox_nano on this 2-core box detects 90 frames/s with two
    1-thread sessions, 70-76 with one 2-thread session at batches of 1-4 and 79 with two
    sessions at batches of 4 (`benchmarks/detector.py`, "batching")."""
    cores = os.cpu_count() or 1
    d = cfg.detector
    first = open_detector(cfg, threads=d.threads)
    on_accelerator = first.info.providers[0] != "cpu"
    if first.info.batchable and on_accelerator and d.sessions == 0:
        batched = open_detector(cfg, threads=max(d.threads, cores))
        return [batched], first.info.max_batch or 8
    n = d.sessions or cores
    return [first] + [open_detector(cfg, threads=d.threads) for _ in range(n - 1)], 1


def detect_in_order(
    items: Iterable[T | Frame],
    sessions: Sequence[DetectorLike],
    *,
    window: int | None = None,
    before_submit: Callable[[Frame], None] | None = None,
) -> Iterator[T | tuple[Frame, Detections]]:
    """Every item in its input order; each Frame comes out as (frame, its detections).

    Frames are detected on all `sessions` in parallel, at most `window` at a time (default:
    two per session, so a session never waits for the next frame); other items (packets)
    pass through in place. `before_submit` runs before a frame is handed to a session
    (pacing for --realtime)."""
    limit = window or 2 * len(sessions)
    free: queue.SimpleQueue[DetectorLike] = queue.SimpleQueue()
    for s in sessions:
        free.put(s)

    def detect(frame: Frame) -> tuple[Frame, Detections]:
        session = free.get()
        try:
            return frame, session.detect(frame.image_bgr)
        finally:
            free.put(session)

    # Every item gets a future, in input order: frames' from the pool, other items' already
    # done, so the output order is the input order whichever session finished first.
    pending: deque[tuple[bool, Future[T | tuple[Frame, Detections]]]] = deque()
    in_flight = 0
    with ThreadPoolExecutor(len(sessions), thread_name_prefix="detect") as pool:
        try:
            for item in items:
                if isinstance(item, Frame):
                    if before_submit is not None:
                        before_submit(item)
                    pending.append((True, pool.submit(detect, item)))
                    in_flight += 1
                else:
                    done: Future[T | tuple[Frame, Detections]] = Future()
                    done.set_result(item)
                    pending.append((False, done))
                while pending and (pending[0][1].done() or in_flight >= limit):
                    is_frame, fut = pending.popleft()
                    in_flight -= is_frame
                    yield fut.result()
            while pending:
                yield pending.popleft()[1].result()
        finally:
            for _, fut in pending:
                fut.cancel()
