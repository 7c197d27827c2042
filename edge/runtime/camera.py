"""One camera at run time: ingest → health/tamper → motion gate → (detector) → core.

The live driver of the analysis core (edge/core/camera.py). The inference scheduler calls
prepare() and finish() for one frame at a time per camera; the supervisor calls tick()
about once a second (offline detection, paused rule clocks).

Locking: `_lock` guards the core and the health state; analysis, tick and reconfigure
take it in turn. Events leave through `emit`, which only queues them (the supervisor's
event dispatcher writes them to the disk and the network), so nothing under the lock waits
on the disk or the network.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import av
import numpy as np

from edge.config import CameraConfig, SiteConfig
from edge.core.camera import CameraCore
from edge.core.frames import Frame
from edge.core.protocols import EventSink, EvidenceLike
from edge.health import CameraHealth, HealthTransition
from edge.health.tamper import TamperSettings
from edge.ingest import CameraSource, LatestFrameSlot, ReaderOptions
from edge.ingest.camera import IngestSettings
from edge.runtime.motion import MotionGate
from edge.runtime.stats import AnalysisCounters, RateMeter
from models.types import Detections
from publisher.events import camera_event
from zones.types import Track

log = logging.getLogger(__name__)

StatusSink = Callable[[str, str, dict[str, Any]], None]


class LiveFrame(NamedTuple):
    """One analysed frame's results, for the zone editor's live view."""

    frame: Frame
    tracks: list[Track]
    members: dict[str, tuple[int, ...]]  # area zone id -> the track ids it counts
    detected: bool  # False: the motion gate skipped detection (the tracks are held)


FrameWatcher = Callable[[LiveFrame], None]


def ingest_settings(cam: CameraConfig, fit_wh: tuple[int, int] | None = None) -> IngestSettings:
    s = cam.stream
    return IngestSettings(
        analysis_fps=cam.analysis_fps,
        max_width_px=s.max_width_px,
        fit_wh=fit_wh,
        reader=ReaderOptions(
            open_timeout_s=s.open_timeout_s,
            read_timeout_s=s.read_timeout_s,
            watchdog_s=s.watchdog_s,
            reconnect_initial_s=s.reconnect_initial_s,
            reconnect_max_s=s.reconnect_max_s,
            decode_threads=s.decode_threads,
            skip_loop_filter=s.fast_analysis_decode,
        ),
    )


def tamper_settings(cam: CameraConfig) -> TamperSettings:
    h = cam.health
    return TamperSettings(
        frozen_after_s=h.frozen_after_s,
        hold_s=h.tamper_hold_s,
        clear_s=h.tamper_clear_s,
        reference_after_s=h.reference_after_s,
        blur_ratio=h.blur_ratio,
        moved_shift_frac=h.moved_shift_frac,
        moved_agreement=h.moved_agreement,
    )


class Prepared:
    """A frame taken for analysis, with what the gate decided."""

    __slots__ = ("frame", "grey", "needs_inference")

    def __init__(self, frame: Frame, grey: Any, needs_inference: bool) -> None:
        self.frame = frame
        self.grey = grey
        self.needs_inference = needs_inference


class CameraRunner:
    def __init__(
        self,
        cfg: SiteConfig,
        camera_id: str,
        emit: EventSink,
        set_status: StatusSink,
        evidence: EvidenceLike | None = None,
        phase_frac: float = 0.0,
        fit_wh: tuple[int, int] | None = None,
    ) -> None:
        """`fit_wh`: the detector's input size; sampled frames are converted to fit it."""
        cam = cfg.camera(camera_id)
        self.cfg = cfg
        self.camera_id = camera_id
        self._emit = emit
        self._set_status = set_status
        self.evidence = evidence
        self.slot = LatestFrameSlot()
        self.source = CameraSource(
            camera_id, cam.url, cam.substream_url, ingest_settings(cam, fit_wh),
            on_main_packet=self._on_main_packet if evidence is not None else None,
            on_main_session=self._on_main_session if evidence is not None else None,
            slot=self.slot,
            phase_frac=phase_frac,
            consumer_ready=self._ready_for_frame,
        )
        h = cam.health
        self.health = CameraHealth(camera_id, h.offline_after_s, tamper_settings(cam),
                                   h.tamper_enabled, h.tamper_interval_s)
        m = cam.motion
        self.motion = MotionGate(m.enabled, m.refresh_s, m.min_changed_frac, m.pixel_threshold)
        self.core = CameraCore(cfg, camera_id, emit, evidence)
        self.counters = AnalysisCounters()
        self.rates = {"in": RateMeter(), "analysed": RateMeter(), "inferred": RateMeter()}
        self.fps = {"in": 0.0, "analysed": 0.0, "inferred": 0.0}
        # Core and health: analysis vs tick vs reload. The evidence recorder locks its own
        # state (packets come from the ingest thread); it needs no lock here, and one would
        # make the ingest thread wait while analysis scores a snapshot's clarity.
        self._lock = threading.Lock()
        self._started_wall_s = time.time()
        self._main_stream: Any = None
        self._main_offset_pending = False
        # Set while a scheduler worker holds this camera's frame (set and cleared under the
        # scheduler's lock); the ingest thread reads it to hold back a due sample.
        self.busy = threading.Event()
        # The zone editor: the newest analysed frame (one reference, replaced per frame) and
        # whoever watches the live results; with nobody watching, analysis pays nothing more.
        self.latest_frame: Frame | None = None
        self._watchers: tuple[FrameWatcher, ...] = ()  # replaced whole: read without a lock
        self._watch_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        self._started_wall_s = time.time()
        self.source.start()

    def stop(self) -> None:
        self.source.stop()

    # ------------------------------------------------------------------ analysis
    def _ready_for_frame(self) -> bool:
        return not self.busy.is_set() and self.slot.peek_received_mono_s() is None

    @property
    def drops(self) -> int:
        """Analysis opportunities lost: frames replaced in the slot, and sampling slots that
        passed while the previous frame was still being analysed."""
        return self.slot.drops + self.source.sampler.missed

    def prepare(self, frame: Frame) -> Prepared:
        t = frame.wall_time_s
        need_grey = self.motion.enabled or self.health.tamper_due(t)
        grey = frame.grey() if need_grey else None
        with self._lock:
            transition = self.health.on_frame(grey, t)
        if transition is not None:
            self._report(transition)
        needs = True if grey is None else self.motion.should_detect(grey, frame.source_time_s)
        return Prepared(frame, grey, needs)

    def finish(self, prep: Prepared, detections: Detections | None) -> None:
        """`detections` None: the motion gate skipped detection (nothing moved)."""
        frame = prep.frame
        if detections is not None and prep.grey is not None:
            self.motion.detected(prep.grey, frame.source_time_s)
        watchers = self._watchers
        with self._lock:
            res = self.core.analyse(frame, detections, observable=self.health.observable)
            # under the lock: the zones may be swapped by a reload
            members = self.core.analysis.members(res.tracks) if watchers else None
        self.latest_frame = frame
        self.counters.add_analysed(frame.wall_time_s, time.monotonic() - frame.received_mono_s)
        if members is not None:
            for watch in watchers:
                watch(LiveFrame(frame, res.tracks, members, detections is not None))

    def latest_picture(self) -> tuple[Frame, np.ndarray] | None:
        """The newest analysed frame and its picture at evidence size. Converted under the
        camera's lock: analysis converts the same decoder frame for snapshots, and a
        decoder frame must not be converted by two threads at once."""
        frame = self.latest_frame
        if frame is None:
            return None
        with self._lock:
            return frame, frame.evidence_bgr()

    def watch(self, fn: FrameWatcher) -> None:
        """`fn` gets every analysed frame's results (on the analysis thread: it must only
        queue them)."""
        with self._watch_lock:
            self._watchers = (*self._watchers, fn)

    def unwatch(self, fn: FrameWatcher) -> None:
        with self._watch_lock:
            self._watchers = tuple(w for w in self._watchers if w is not fn)

    def finish_evidence(self, timeout_s: float) -> None:
        """At shutdown (the health tick has stopped): write and announce open clips."""
        with self._lock:
            self.core.finish_evidence(timeout_s)

    # ------------------------------------------------------------------ periodic
    def tick(self, now_wall_s: float) -> None:
        self._update_rates()
        with self._lock:
            transition = self.health.tick(now_wall_s, self._started_wall_s)
            if transition is not None:
                transition = self._with_reader_detail(transition)
            if self.health.state == "offline":
                # No frames: step the rules anyway, so their clocks pause and open
                # violations say that the zone could not be watched.
                src_t = now_wall_s - self.source.clock.start_wall_s
                self.core.step_unobserved(src_t, now_wall_s)
        if transition is not None:
            self._report(transition)

    def _with_reader_detail(self, t: HealthTransition) -> HealthTransition:
        r = self.source.detect_reader
        detail = dict(t.detail)
        if r.last_error:
            detail["reason"] = r.last_error
        detail["reader_state"] = r.state.value
        return HealthTransition(t.camera_id, t.state, t.previous, t.t_wall_s, detail)

    def _report(self, t: HealthTransition) -> None:
        detail = dict(t.detail)
        detail["previous"] = t.previous
        zones = [z.id for z in self.cfg.zones_of(self.camera_id)]
        if t.state != "online" and zones:
            # Say plainly that these zones (duty posts included) are not being watched.
            detail["unwatched_zones"] = zones
        log.log(logging.INFO if t.state == "online" else logging.WARNING,
                "camera %s: %s (%s)", self.camera_id, t.state, detail.get("reason", ""))
        when = datetime.fromtimestamp(t.t_wall_s, self.core.tz)
        self._emit(camera_event(self.cfg.site_id, self.cfg.box_id, self.camera_id, t.state,
                                when, detail))
        self._set_status(self.camera_id, t.state, detail)

    # ------------------------------------------------------------------ config
    def reconfigure(self, cfg: SiteConfig) -> None:
        with self._lock:
            old_zones = [z.model_dump() for z in self.cfg.zones_of(self.camera_id)]
            self.core.reconfigure(cfg)
            new_zones = [z.model_dump() for z in cfg.zones_of(self.camera_id)]
            if old_zones != new_zones and self.health.tamper is not None:
                # Redrawn zones usually follow a re-aimed camera: learn the view again.
                self.health.tamper.reset_reference()
            self.cfg = cfg

    # ------------------------------------------------------------------ evidence feed
    def _on_main_session(self, stream: Any) -> None:
        self._main_stream = stream
        self._main_offset_pending = True

    def _on_main_packet(self, packet: av.Packet) -> None:
        # On the ingest thread, without the camera's lock: the recorder locks its own state.
        if self._main_offset_pending:
            if packet.pts is None or packet.time_base is None:
                return
            # Put the main stream's packets on this camera's source clock (the analysed
            # frames' clock), from the arrival time of the session's first packet.
            now_src_s = time.time() - self.source.clock.start_wall_s
            self.core.set_stream(self._main_stream,
                                 now_src_s - float(packet.pts * packet.time_base))
            self._main_offset_pending = False
        self.core.add_packet(packet)

    # ------------------------------------------------------------------ stats
    def _update_rates(self) -> None:
        now = time.monotonic()
        c = self.counters
        totals = {"in": self.source.frames_in, "analysed": c.analysed, "inferred": c.inferred}
        for k, meter in self.rates.items():
            self.fps[k] = meter.rate(totals[k], now)

    def snapshot(self) -> dict[str, Any]:
        src = self.source
        r = src.detect_reader
        c = self.counters
        now_mono = time.monotonic()
        age = None if src.last_frame_mono_s is None else now_mono - src.last_frame_mono_s
        with c.lock:
            analysed, inferred, errors = c.analysed, c.inferred, c.errors
            inf_ms, lat_ms = c.ewma_inference_ms, c.latency_ewma_ms
        readers = {rd.name: {"state": rd.state.value, "last_error": rd.last_error,
                             "sessions": rd.counters.sessions, "failures": rd.counters.failures}
                   for rd in src.readers}
        return {
            "camera_id": self.camera_id,
            "state": self.health.state,
            "tamper": list(self.health.reasons),
            "fps_in": round(self.fps["in"], 2),
            "fps_analysed": round(self.fps["analysed"], 2),
            "fps_inferred": round(self.fps["inferred"], 2),
            "last_frame_age_s": None if age is None else round(age, 3),
            "frames_in": src.frames_in,
            "frames_sampled": src.frames_sampled,
            "frames_analysed": analysed,
            "frames_inferred": inferred,
            "motion_skipped": self.motion.counters.skipped,
            "drops": self.drops,
            "decode_errors": sum(rd.counters.decode_errors for rd in src.readers),
            "corrupt_frames": sum(rd.counters.corrupt_frames for rd in src.readers),
            "reconnects": r.counters.failures,
            "watchdog_trips": r.counters.watchdog_trips,
            "analysis_errors": errors,
            "inference_ms": round(inf_ms, 2),
            "latency_ms": round(lat_ms, 2),
            "readers": readers,
        }
