"""Pushing finished evidence to S3-compatible object storage: one uploader thread per box.

    up = Uploader.from_config(cfg, on_status)      # None when storage.upload is absent
    recorder_for(cfg, camera_id, uploader=up, ...)  # finalizers queue complete violations
    retention.add_guard(up.is_pending)              # never delete what is not uploaded
    threading.Thread(target=up.run, name="evidence-upload", daemon=True).start()
    ...
    up.stop(); up.close()

The queue (upload_queue.py) is durable, so a restart resumes the backlog. A store that is
down or refuses the box's credentials holds the whole queue (one probe per backoff delay, never
one request per file); a file that fails on its own is retried up to `max_attempts` and then
parked, and a file that disappeared from the disk is dropped with a warning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from edge.config import SiteConfig
from edge.config.storage import StorageConfig, UploadConfig
from edge.evidence.files import file_refs, safe_component
from edge.evidence.status import StatusCallback, StatusReporter
from edge.evidence.types import EvidenceFile
from edge.evidence.upload_errors import Outcome, UploadResult
from edge.evidence.upload_keys import content_type, object_key, violation_prefix
from edge.evidence.upload_queue import PARKED, UploadItem, UploadQueue
from edge.evidence.upload_status import ReasonReporter
from edge.evidence.upload_store import ObjectStore
from publisher.backoff import Backoff

log = logging.getLogger(__name__)

_BATCH = 16  # files taken from the queue per round; a stop() is noticed between files
_COUNTERS = ("uploaded", "uploaded_bytes", "failed_attempts", "dropped_missing", "parked_total",
             "queued_total")


def queue_path(storage: StorageConfig) -> Path:
    """The queue database: `upload.queue_path` (relative to storage.directory) or upload.db."""
    configured = storage.upload.queue_path if storage.upload is not None else None
    return Path(storage.directory) / (configured or "upload.db")


class Uploader:
    def __init__(
        self, cfg: UploadConfig, db_path: Path, site_id: str, box_id: str,
        on_status: StatusCallback | None = None, clock: Callable[[], float] = time.time,
    ) -> None:
        self.cfg = cfg
        self.site_id, self.box_id = site_id, box_id
        self._clock = clock
        self._status = ReasonReporter(on_status, "evidence_upload")
        self._queue_status = StatusReporter(on_status, "evidence_upload_queue")
        self.queue = UploadQueue(db_path, clock, on_persist=self._persisted)
        self.store = ObjectStore(cfg, site_id, box_id)
        self._backoff = Backoff(cfg.retry_initial_s, cfg.retry_max_s)
        self._paused_until = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(_COUNTERS, 0)
        self.last_error: str | None = None

    @classmethod
    def from_config(
        cls, cfg: SiteConfig, on_status: StatusCallback | None = None
    ) -> Uploader | None:
        up = cfg.storage.upload
        if up is None or not up.enabled:
            return None
        return cls(up, queue_path(cfg.storage), cfg.site_id, cfg.box_id, on_status)

    # ---- the finalizer's side ------------------------------------------------------------
    def annotate(self, directory: Path, evidence: dict[str, Any]) -> None:
        """Add each file's object key and where the objects go (never credentials)."""
        for ref in file_refs(evidence):
            ref["key"] = object_key(self.cfg.prefix, self.box_id, Path(ref["path"]))
        where: dict[str, Any] = {"bucket": self.cfg.bucket, "region": self.cfg.region,
                                 "prefix": violation_prefix(self.cfg.prefix, self.box_id,
                                                            directory)}
        if self.cfg.endpoint_url is not None:
            where["endpoint"] = self.cfg.endpoint_url
        evidence["upload"] = where

    def enqueue_violation(
        self, violation_id: str, camera_id: str, directory: Path, files: Sequence[EvidenceFile]
    ) -> int:
        """Queue a violation's complete files (durably, or in memory on a full disk)."""
        items = [
            UploadItem(key=object_key(self.cfg.prefix, self.box_id, f.path), seq=0,
                       path=str(f.path), unit=directory.name, violation_id=violation_id,
                       camera_id=camera_id, sha256=f.sha256, size=f.size,
                       content_type=content_type(f.path))
            for f in files
        ]
        self.queue.add(items)
        self._count(queued_total=len(items))
        self._wake.set()
        return len(items)

    def is_pending(self, violation_id: str) -> bool:
        """Files of this violation (its folder name) are not in the store yet."""
        return self.queue.is_pending(safe_component(violation_id))

    # ---- the thread ----------------------------------------------------------------------
    def run(self) -> None:
        """Upload until stop(); survives any error (logged, retried after a delay)."""
        log.info("uploading evidence to %s/%s", self.cfg.endpoint_url or "s3", self.cfg.bucket)
        while not self._stop.is_set():
            self._wake.clear()  # before the step: an enqueue during it cuts the wait short
            try:
                wait_s = self.step()
            except Exception:
                log.exception("upload round failed")
                wait_s = self.cfg.retry_initial_s
            self._wake.wait(wait_s)

    def stop(self) -> None:
        """Ends run() after the file being sent (the queue keeps the rest)."""
        self._stop.set()
        self._wake.set()

    def close(self) -> None:
        self.queue.flush()
        self.queue.close()

    def step(self) -> float:
        """One round: persist what memory holds, send what is due; returns the wait."""
        persisted = self.queue.flush()
        now = self._clock()
        if now >= self._paused_until:
            for item in self.queue.due(now, _BATCH):
                if self._stop.is_set():
                    break
                result = self.store.put(item)
                self._settle(item, result)
                if result.store_wide:
                    break
        return self._next_wait(persisted)

    def _next_wait(self, persisted: bool) -> float:
        now = self._clock()
        due = self.queue.next_due_s()
        wake_at = max(self._paused_until, due if due is not None else now + self.cfg.retry_max_s)
        wait_s = wake_at - now
        if not persisted:  # a full disk: try the database again soon
            wait_s = min(wait_s, self.cfg.retry_initial_s)
        return min(max(wait_s, 0.0), self.cfg.retry_max_s)

    # ---- outcomes ------------------------------------------------------------------------
    def _settle(self, item: UploadItem, result: UploadResult) -> None:
        now, o = self._clock(), result.outcome
        if o is Outcome.OK:
            self.queue.remove(item)
            self._count(uploaded=1, uploaded_bytes=item.size)
            self._backoff.reset()
            self._status.report("ok", {"bucket": self.cfg.bucket})
            return
        self.last_error = result.error
        self._count(failed_attempts=1)
        if o is Outcome.MISSING:
            log.warning("dropping %s from the upload queue: %s", item.key, result.error)
            self.queue.remove(item)
            self._count(dropped_missing=1)
        elif o in (Outcome.PARK, Outcome.CHANGED) or (
            o is Outcome.RETRY and item.attempts + 1 >= self.cfg.max_attempts
        ):
            self._park(item, result)
        elif o is Outcome.RETRY:
            delay = _item_delay(self.cfg, item.attempts)
            log.info("upload of %s failed (%s); retry in %.1f s", item.key, result.error, delay)
            self._retry_later(item, now + delay, result)
        else:
            self._hold_queue(item, result, now)

    def _hold_queue(self, item: UploadItem, result: UploadResult, now: float) -> None:
        """The store or the box's access to it failed: every file waits, one probe later."""
        if result.outcome is Outcome.BLOCKED:
            delay = self.cfg.retry_max_s  # needs a person: retry slowly
            self.store.reset()  # credentials are read again for the next try
        else:
            delay = self._backoff.next_delay_s()
        self._paused_until = now + delay
        self._retry_later(item, self._paused_until, result)
        self._status.report("degraded", {
            "reason": result.reason, "error": result.error, "bucket": self.cfg.bucket,
            "endpoint": self.cfg.endpoint_url, "retry_in_s": round(delay, 1),
            "queued": self.queue.counts()["pending"],
        })

    def _retry_later(self, item: UploadItem, at: float, result: UploadResult) -> None:
        self.queue.put(replace(item, attempts=item.attempts + 1, next_try_s=at,
                               last_error=result.error))

    def _park(self, item: UploadItem, result: UploadResult) -> None:
        log.error("upload of %s parked after %d attempt(s): %s", item.key, item.attempts + 1,
                  result.error)
        self.queue.put(replace(item, attempts=item.attempts + 1, state=PARKED,
                               last_error=result.error))
        self._count(parked_total=1)

    def _persisted(self, ok: bool, error: str) -> None:
        if ok:
            self._queue_status.report("ok", {"path": str(self.queue.path)})
        else:
            self._queue_status.report("degraded", {
                "reason": "queue_unwritable", "path": str(self.queue.path), "error": error})

    # ---- numbers -------------------------------------------------------------------------
    def _count(self, **deltas: int) -> None:
        with self._lock:
            for name, d in deltas.items():
                self._counts[name] += d

    def stats(self) -> dict[str, Any]:
        with self._lock:
            out: dict[str, Any] = dict(self._counts)
        out.update(self.queue.counts())
        out.update(state=self._status.state, reason=self._status.reason,
                   requests=self.store.requests, last_error=self.last_error,
                   paused_for_s=round(max(0.0, self._paused_until - self._clock()), 1))
        return out

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no file is pending (tests, benchmarks); False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self.queue.counts()["pending"]:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True


def _item_delay(cfg: UploadConfig, attempts: int) -> float:
    backoff = Backoff(cfg.retry_initial_s, cfg.retry_max_s)
    backoff.attempts = attempts
    return backoff.next_delay_s()
