"""Runs evidence jobs inline (replay: deterministic) or on one thread behind a bounded queue."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

Job = Callable[[], None]


class JobRunner:
    """`threaded=False`: `submit` runs the job at once. `threaded=True`: a worker thread runs
    jobs in order from a queue of `maxsize`; when it is full the new job is dropped and counted,
    because the caller is the detection loop and must never wait for the disk."""

    def __init__(self, name: str, threaded: bool, maxsize: int) -> None:
        self.name = name
        self.threaded = threaded
        self.dropped = 0
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=maxsize)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Job) -> bool:
        if not self.threaded:
            self._run_one(job)
            return True
        self._ensure_thread()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            self.dropped += 1
            log.warning("%s: evidence queue full, job dropped (%d so far)", self.name, self.dropped)
            return False
        return True

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
                self._thread.start()

    def run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._run_one(job)
            finally:
                self._queue.task_done()

    def _run_one(self, job: Job) -> None:
        try:
            job()
        except Exception:  # a bad job must not kill the worker or the detection loop
            log.exception("%s: evidence job failed", self.name)

    def drain(self, timeout_s: float | None = None) -> bool:
        """Wait until every queued job has run; False if `timeout_s` passed first."""
        if not self.threaded or self._thread is None:
            return True
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while self._queue.unfinished_tasks:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            with self._queue.all_tasks_done:
                self._queue.all_tasks_done.wait(0.05)
        return True

    def stop(self, timeout_s: float = 10.0) -> None:
        """Let queued jobs finish (up to `timeout_s`), then end the thread."""
        thread = self._thread
        if thread is None:
            return
        self.drain(timeout_s)
        try:
            self._queue.put(None, timeout=1.0)
        except queue.Full:
            log.warning("%s: could not stop evidence worker cleanly", self.name)
            return
        thread.join(timeout_s)
        self._thread = None
