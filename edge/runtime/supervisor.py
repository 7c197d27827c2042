"""The live runtime: every camera, shared inference, health, publisher, HTTP, config reload.

    sup = Supervisor(cfg, config_path)
    sup.start()          # threads: one or two readers per camera, inference workers, the
    sup.run()            # event dispatcher; a 1 Hz housekeeping loop until stop()
    sup.close()          # bounded: readers and workers get a few seconds, then are abandoned

stop() may be called from a signal handler or any thread. Every thread and lock is listed in
docs/runtime.md.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edge.config import SiteConfig
from edge.core.protocols import DetectorLike, EventSink
from edge.runtime.boxhealth import BoxHealth
from edge.runtime.camera import CameraRunner
from edge.runtime.diskwatch import DiskWatch
from edge.runtime.dispatch import EventDispatcher
from edge.runtime.localstore import LocalStore, store_path
from edge.runtime.reload import ConfigWatcher
from edge.runtime.scheduler import InferenceScheduler
from edge.version import config_version, software_version
from publisher.events import Event

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(
        self,
        cfg: SiteConfig,
        config_path: Path | None = None,
        *,
        detectors: Sequence[DetectorLike] | None = None,
        publisher: Any = None,
        evidence: bool = True,
        tick_s: float = 1.0,
        box_health: BoxHealth | None = None,
        local_store: bool = True,
    ) -> None:
        """`box_health`: made before the publisher (whose health it takes) when there is
        one; reports kept until now are emitted once the dispatcher runs."""
        self.cfg = cfg
        self.publisher = publisher
        self.tick_s = tick_s
        # The publisher first: it numbers each event, and the other sinks see the number.
        self.dispatcher = EventDispatcher([self._publish] if publisher is not None else [])
        self._stop = threading.Event()
        self._evidence_on = evidence and cfg.storage.evidence.enabled
        self.box_health = box_health or BoxHealth(cfg.site_id, cfg.box_id)
        # The box's own store (its console): the last sink, after the publisher numbered
        # the event.
        self.local_store = LocalStore(store_path(cfg.storage.directory),
                                      self.box_health.report) if local_store else None
        if self.local_store is not None:
            self.dispatcher.add_sink(self.local_store)
        self._housekeeping_hooks: list[Callable[[], None]] = []
        self._storage_lock = threading.Lock()
        self._storage_parts: dict[str, str] = {}  # evidence component → ok | degraded
        self.retention = self._make_retention() if self._evidence_on else None
        self._retention_thread: threading.Thread | None = None
        self.uploader = self._make_uploader() if self._evidence_on else None
        self._upload_thread: threading.Thread | None = None
        dets, max_batch = (list(detectors), 1) if detectors else _open_detectors(cfg)
        info = getattr(dets[0], "info", None) if dets else None
        self._fit_wh: tuple[int, int] | None = info.input_wh if info is not None else None
        enabled = [c.id for c in cfg.cameras if c.enabled]
        self.runners = [self._make_runner(cid, i / max(1, len(enabled)))
                        for i, cid in enumerate(enabled)]
        self.scheduler = InferenceScheduler(dets, max_batch)
        for r in self.runners:
            self.scheduler.add(r)
        self.config_path = config_path
        self._model_name = info.name if info is not None else None
        self._tell_box_info()
        self.watcher = ConfigWatcher(config_path, self.apply_config) if config_path else None
        self.disks = DiskWatch(self._written_paths(), cfg.storage.min_free_bytes,
                               self.box_health.report,
                               self.retention.make_room if self.retention else None)
        self._stats_due_s = 0.0
        self.started_wall_s = time.time()

    # ------------------------------------------------------------------ building
    def _make_runner(self, camera_id: str, phase_frac: float) -> CameraRunner:
        evidence = None
        if self._evidence_on:
            from edge.evidence.build import recorder_for

            evidence = recorder_for(self.cfg, camera_id, uploader=self.uploader,
                                    is_pending=self._is_pending(),
                                    threaded=True, retention=self.retention,
                                    on_status=self._storage_status)
        return CameraRunner(self.cfg, camera_id, self.emit, self._set_status, evidence,
                            phase_frac, fit_wh=self._fit_wh)

    def _make_uploader(self) -> Any:
        from edge.evidence.build import uploader_for

        # Its own part: a store that cannot be reached is not disk trouble.
        return uploader_for(self.cfg, self.retention, self.box_health.reporter("evidence_upload"))

    def _written_paths(self) -> dict[str, Path]:
        store = Path(self.cfg.storage.directory)
        paths = {"evidence": store, "local_store": store}
        outbox = getattr(self.publisher, "outbox_path", None)
        if outbox is not None:
            paths["outbox"] = Path(outbox)
        return paths

    def _make_retention(self) -> Any:
        from edge.evidence.retention import Retention

        # One per box: every camera shares the disk. Evidence of violations the broker has
        # not acknowledged yet is never deleted.
        return Retention(self.cfg.storage, is_pending=self._is_pending(),
                         on_status=self._storage_status)

    def _is_pending(self) -> Callable[[str], bool] | None:
        return self.publisher.is_pending if self.publisher is not None else None

    def _storage_status(self, state: str, detail: dict[str, Any]) -> None:
        """A full disk degrades evidence only: detection and delivery go on.

        Each camera's writer and retention report on their own; the evidence store is
        degraded while any of them is, and ok again when all are."""
        component = str(detail.get("component", "evidence"))
        with self._storage_lock:
            self._storage_parts[component] = "ok" if state == "ok" else "degraded"
            bad = sorted(c for c, s in self._storage_parts.items() if s != "ok")
            overall = "degraded" if bad else "ok"
            # Inside the lock: two writers never report the same change, nor out of order.
            self.box_health.report("evidence_storage", overall,
                                   {**detail, "affected": bad} if bad else {"affected": []})

    @property
    def storage_state(self) -> str:
        return str(self.box_health.parts().get("evidence_storage", {}).get("state", "ok"))

    def add_housekeeping(self, fn: Callable[[], None]) -> None:
        """`fn` runs on the 1 Hz housekeeping (e.g. starting the console once its store
        could be opened)."""
        self._housekeeping_hooks.append(fn)

    def add_listener(self, fn: EventSink) -> None:
        """`fn` gets every event on the dispatcher thread, after the publisher."""
        self.dispatcher.add_sink(fn)

    @property
    def recent_events(self) -> list[Event]:
        return list(self.dispatcher.recent)

    # ------------------------------------------------------------------ events
    def emit(self, event: Event) -> None:
        """Queue an event for the sinks; never waits on the disk or the network."""
        self.dispatcher.submit(event)

    def _publish(self, event: Event) -> None:
        assert self.publisher is not None
        self.publisher.publish_event(event)

    def _set_status(self, camera_id: str, state: str, detail: dict[str, Any]) -> None:
        if self.publisher is not None:
            self.publisher.set_camera_status(camera_id, state, detail)

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self.started_wall_s = time.time()
        self.dispatcher.start()
        self.box_health.attach(self.emit)
        self.scheduler.start()
        for r in self.runners:
            r.start()
        if self.retention is not None:
            self._retention_thread = threading.Thread(
                target=self.retention.run, name="evidence-retention", daemon=True
            )
            self._retention_thread.start()
        if self.uploader is not None:
            self._upload_thread = threading.Thread(target=self.uploader.run,
                                                   name="evidence-upload", daemon=True)
            self._upload_thread.start()
        log.info("running %d camera(s) with %d inference session(s)",
                 len(self.runners), self.scheduler.sessions)

    def run(self) -> None:
        """Housekeeping until stop(): camera health, config reload, stats."""
        while not self._stop.wait(self.tick_s):
            self.housekeeping()

    def housekeeping(self) -> None:
        now = time.time()
        for r in self.runners:
            try:
                r.tick(now)
            except Exception:
                log.exception("camera %s: health tick failed", r.camera_id)
        self.disks.check()
        if self.local_store is not None:
            self.local_store.retry()
        for hook in self._housekeeping_hooks:
            try:
                hook()
            except Exception:
                log.exception("housekeeping hook failed")
        if self.watcher is not None:
            self.watcher.poll()
        if self.publisher is not None and self.cfg.mqtt is not None:
            mono = time.monotonic()
            if mono >= self._stats_due_s:
                self._stats_due_s = mono + self.cfg.mqtt.stats_interval_s
                self.publisher.publish_stats({"cameras": self.camera_stats()})

    def stop(self) -> None:
        """Safe from a signal handler: only sets flags."""
        self._stop.set()
        self.scheduler.stop()
        for r in self.runners:
            r.stop()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def close(self, timeout_s: float = 3.0) -> None:
        """After stop(): wait (bounded) for threads, then finish evidence."""
        self.stop()
        deadline = time.monotonic() + timeout_s
        self.scheduler.join(max(0.1, deadline - time.monotonic()))
        stuck = [r.camera_id for r in self.runners
                 if not r.source.join(max(0.0, deadline - time.monotonic()))]
        if stuck:
            # A reader blocked inside a connect gives up by its own timeout; its thread is a
            # daemon and holds nothing that needs flushing.
            log.info("not waiting for readers still connecting: %s", ", ".join(stuck))
        for r in self.runners:
            if r.evidence is not None:
                self._finish_evidence(r)
        if self.retention is not None:
            self.retention.stop()
        self._stop_uploader(max(0.5, deadline - time.monotonic()))
        # Last: every event, evidence announcements included, reaches the sinks before the
        # caller closes the publisher.
        if not self.dispatcher.drain(max(1.0, deadline - time.monotonic())):
            log.warning("%d event(s) not dispatched at shutdown",
                        self.dispatcher.stats()["queued"])
        self.dispatcher.stop(timeout_s=1.0)
        if self.local_store is not None:
            self.local_store.close()

    def _finish_evidence(self, runner: CameraRunner) -> None:
        """Write open clips with what is buffered and announce them before the publisher
        closes, so that no finished file goes unannounced."""
        assert runner.evidence is not None
        try:
            runner.finish_evidence(timeout_s=2.0)
        except Exception:
            log.exception("camera %s: evidence could not be finished", runner.camera_id)
        with contextlib.suppress(Exception):
            runner.evidence.stop(timeout_s=1.0)

    # ------------------------------------------------------------------ config
    def _tell_box_info(self) -> None:
        """Version, model and config version in the box's retained status (the centre's
        fleet board shows them); again after every reload."""
        set_info = getattr(self.publisher, "set_box_info", None)
        if set_info is None:
            return
        set_info({"version": software_version(), "model": self._model_name,
                  "config_version": config_version(self.config_path)})

    def apply_config(self, new: SiteConfig) -> None:
        old_cams = {c.id: c for c in self.cfg.cameras}
        new_cams = {c.id: c for c in new.cameras}
        if _restart_fields(old_cams) != _restart_fields(new_cams):
            log.warning("camera settings changed in the config: zones, masks and calibration "
                        "apply now, the other camera changes need a restart")
        running = {r.camera_id for r in self.runners}
        for r in self.runners:
            if r.camera_id in new_cams:
                r.reconfigure(new)
        ignored = {z.camera for z in new.zones} - running
        if ignored:
            log.warning("zones of cameras not running (%s) wait for a restart",
                        ", ".join(sorted(ignored)))
        self.cfg = new
        self._tell_box_info()

    # ------------------------------------------------------------------ stats
    def _stop_uploader(self, timeout_s: float) -> None:
        """After the evidence is finished (the last violations are queued): what is not
        uploaded yet stays in the durable queue for the next start."""
        if self.uploader is None:
            return
        self.uploader.stop()
        if self._upload_thread is not None:
            self._upload_thread.join(timeout_s)
            if self._upload_thread.is_alive():
                return
        self.uploader.close()

    def camera_stats(self) -> list[dict[str, Any]]:
        return [r.snapshot() for r in self.runners]

    def health(self) -> dict[str, Any]:
        cams = self.camera_stats()
        ok = all(c["state"] == "online" for c in cams)
        out: dict[str, Any] = {
            "status": "ok" if ok and not self.box_health.degraded else "degraded",
            "storage": self.storage_state,
            "parts": self.box_health.parts(),
            "events": self.dispatcher.stats(),
            "upload": self.uploader.stats() if self.uploader is not None else None,
            "site_id": self.cfg.site_id,
            "box_id": self.cfg.box_id,
            "uptime_s": round(time.time() - self.started_wall_s, 1),
            "cameras": cams,
            "inference_sessions": self.scheduler.sessions,
            "max_batch": self.scheduler.max_batch,
        }
        if self.watcher is not None:
            out["config"] = {"reloads": self.watcher.reloads, "rejected": self.watcher.rejected,
                             "last_error": self.watcher.last_error}
        if self.publisher is not None:
            with contextlib.suppress(Exception):
                out["mqtt"] = self.publisher.stats()
        return out


def _open_detectors(cfg: SiteConfig) -> tuple[list[DetectorLike], int]:
    from edge.core.detect import open_detectors

    sessions, max_batch = open_detectors(cfg)
    return list(sessions), max_batch


# What CameraRunner.reconfigure applies live (the zone editor saves them); any other camera
# field (URL, fps, detector...) is read when the camera starts.
_LIVE_CAMERA_FIELDS = frozenset({"exclusions", "calibration"})


def _restart_fields(cams: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {cid: c.model_dump(exclude=set(_LIVE_CAMERA_FIELDS)) for cid, c in cams.items()}

