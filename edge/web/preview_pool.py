"""The preview worker process, seen from the box: started on first use, kept between
previews (its detector sessions stay loaded), one preview at a time, killed and started
afresh when a preview runs past its time."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from edge.web.preview_worker import PreviewJob, PreviewOutcome

log = logging.getLogger(__name__)
DEFAULT_NICENESS = 10  # the live cameras first; the preview gets what they leave


class PreviewBusy(Exception):
    """Another preview is running (one at a time: two would halve each other's speed)."""


class PreviewFailed(Exception):
    pass


class PreviewTimeout(PreviewFailed):
    pass


class PreviewWorker:
    def __init__(self, niceness: int = DEFAULT_NICENESS) -> None:
        self.niceness = niceness
        self._busy = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self.progress_s: float | None = None  # source time reached by the running preview
        self.warmed_s: float | None = None  # how long the worker took to open the detector

    @property
    def running(self) -> bool:
        return self._busy.locked()

    def run(self, job: PreviewJob, timeout_s: float) -> PreviewOutcome:
        if not self._busy.acquire(blocking=False):
            raise PreviewBusy("another preview is running; try again when it has finished")
        try:
            self.progress_s = 0.0
            conn = self._ensure()
            conn.send(job)
            return self._wait(conn, time.monotonic() + timeout_s)
        finally:
            self.progress_s = None
            self._busy.release()

    def warm(self, site: dict[str, Any]) -> bool:
        """Start the worker and let it open the detector now (the editor page does when it
        is opened), so that the first preview does not wait for it. False when busy."""
        if not self._busy.acquire(blocking=False):
            return False
        try:
            self._ensure().send(("warm", site))
            return True
        except OSError:
            self._kill()
            return False
        finally:
            self._busy.release()

    def wait_warm(self, timeout_s: float) -> float | None:
        """Seconds the warm-up took, once it is done (benchmarks, tests)."""
        deadline = time.monotonic() + timeout_s
        with self._busy:
            conn = self._conn
            while conn is not None and self.warmed_s is None and time.monotonic() < deadline:
                if conn.poll(0.1):
                    kind, value = conn.recv()
                    if kind == "warmed":
                        self.warmed_s = float(value)
        return self.warmed_s

    def _wait(self, conn: Connection, deadline: float) -> PreviewOutcome:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._kill()
                raise PreviewTimeout("the preview ran past its time limit and was stopped")
            try:
                ready = conn.poll(min(left, 0.5))
                message = conn.recv() if ready else None
            except (EOFError, OSError):
                self._kill()
                raise PreviewFailed("the preview worker stopped unexpectedly") from None
            if message is None:
                if self._proc is not None and self._proc.poll() is not None:
                    self._kill()
                    raise PreviewFailed("the preview worker stopped unexpectedly")
                continue
            kind, value = message
            if kind == "warmed":
                self.warmed_s = float(value)
            elif kind == "progress":
                self.progress_s = float(value)
            elif kind == "done":
                assert isinstance(value, PreviewOutcome)
                return value
            else:
                raise PreviewFailed(str(value))

    def _ensure(self) -> Connection:
        if self._proc is not None and self._proc.poll() is None and self._conn is not None:
            return self._conn
        self._kill()
        ours, theirs = socket.socketpair()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "edge.web.preview_worker", str(theirs.fileno()),
                 str(self.niceness)],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self.warmed_s = None
        log.info("preview worker started (pid %d, nice +%d)", self._proc.pid, self.niceness)
        return self._conn

    def _kill(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait(5)
            self._proc = None

    def close(self) -> None:
        """Ask the worker to quit (a running preview is abandoned), then make sure."""
        conn, proc = self._conn, self._proc
        if conn is not None and proc is not None and proc.poll() is None:
            try:
                conn.send(None)
                proc.wait(2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()
