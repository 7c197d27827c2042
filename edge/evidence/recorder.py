"""Per-camera evidence writer: annotated snapshots and stream-copied pre/post-roll clips.

Call pattern (replay and live alike; `threaded=False` makes replay deterministic):

    rec.set_stream(main_stream)            # once per (re)connection of the main stream
    rec.add_packet(pkt)                    # every compressed packet of the main stream
    rec.on_update(update, frame_bgr, source_time_s, wall_time)   # every ViolationUpdate
    ready = rec.poll(source_time_s)        # after each analysed frame: completed evidence
    ready += rec.finish()                  # end of a file source
    rec.stop()

Times: `source_time_s` is the analysed frame's time on the source clock; packets are put on
the same clock as `pts * time_base + source_offset_s` (offset given to `set_stream`, for a
live main stream whose clock differs from the analysed substream's).
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.stream import VideoStream

from edge.config.storage import StorageConfig
from edge.evidence.finalize import Finalizer, UploadHook, ViolationState
from edge.evidence.remux import StreamTemplate
from edge.evidence.retention import Retention
from edge.evidence.ring import OpenClip, PacketRing
from edge.evidence.snapshot import clarity
from edge.evidence.status import StatusCallback
from edge.evidence.types import EvidenceReady, EvidenceStats, PacketRecord
from edge.evidence.worker import JobRunner
from zones.spec import ZoneSpec
from zones.types import ViolationUpdate

log = logging.getLogger(__name__)
_DONE_MEMORY = 4096


@dataclass
class _Clip:
    state: ViolationState
    window: OpenClip
    template: StreamTemplate | None
    best: tuple[float, np.ndarray, ViolationUpdate, datetime] | None = None
    queued: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class EvidenceRecorder:
    def __init__(
        self,
        storage: StorageConfig,
        site_id: str,
        camera_id: str,
        zones: Mapping[str, ZoneSpec],
        is_pending: Callable[[str], bool] | None = None,
        *,
        threaded: bool = False,
        retention: Retention | None = None,
        on_status: StatusCallback | None = None,
        on_ready: Callable[[EvidenceReady], None] | None = None,
        url_prefix: str = "/evidence",
        upload: UploadHook | None = None,
    ) -> None:
        self.cfg = storage.evidence
        self.camera_id = camera_id
        self.stats = EvidenceStats()
        self._ring = PacketRing(self.cfg.pre_s + self.cfg.lookback_s, self.cfg.ring_max_bytes)
        self._template: StreamTemplate | None = None
        self._offset_s = 0.0
        self._tb_s = 0.0
        self._clips: dict[str, _Clip] = {}
        self._lock = threading.RLock()  # re-entered when replay mode runs jobs inline
        self._runner = JobRunner(f"evidence-{camera_id}", threaded, self.cfg.queue_size)
        self._fin = Finalizer(
            storage, site_id, camera_id, zones, self.stats, retention, on_status, url_prefix,
            upload=upload,
        )
        self._ready: list[EvidenceReady] = []
        self._done: OrderedDict[str, None] = OrderedDict()  # recent finished ids, bounded
        self._on_ready = on_ready
        if retention is not None:
            retention.add_guard(self.is_active)
            if is_pending is not None:
                retention.add_guard(is_pending)

    # ---- main stream -------------------------------------------------------------------
    def set_stream(self, stream: VideoStream, source_offset_s: float = 0.0) -> None:
        """Codec parameters of the main stream; a new stream (reconnect) ends open clips."""
        template = StreamTemplate(stream)
        # One critical section (the lock is re-entrant; queueing a clip does not block): an
        # update on the analysis thread must not open a clip between the closing of the
        # old session's clips and the swap of template and ring.
        with self._lock:
            if self._template is not None:
                self._close_all_clips("stream_changed")
            self._template = template
            self._tb_s = float(template.time_base)
            self._offset_s = source_offset_s
            self._ring.clear()

    def add_packet(self, packet: av.Packet) -> None:
        if self._template is None or not self.cfg.enabled or packet.size == 0:
            return
        pts = packet.pts if packet.pts is not None else packet.dts
        dts = packet.dts if packet.dts is not None else pts
        if pts is None or dts is None:
            self.stats.add(packets_without_ts=1)
            return
        tb = self._tb_s  # float: Fraction arithmetic per packet costs more than it buys
        rec = PacketRecord(
            pts=pts, dts=dts, duration=packet.duration or 0, keyframe=packet.is_keyframe,
            t_s=pts * tb + self._offset_s, dts_s=dts * tb + self._offset_s, data=bytes(packet),
        )
        with self._lock:  # live: packets come from the ingest thread, updates from analysis
            dropped_before = self._ring.dropped
            self._ring.append(rec)
            self.stats.packets += 1
            self.stats.ring_dropped_packets += self._ring.dropped - dropped_before
            for clip in self._clips.values():
                if not clip.queued:
                    clip.window.offer(rec)

    def recent_packets(self) -> tuple[StreamTemplate | None, list[PacketRecord]]:
        """The main stream's packets the ring holds now (about pre_s + lookback_s, from a
        keyframe) and their codec: the zone editor previews draft zones on them."""
        with self._lock:
            return self._template, self._ring.start_at(-math.inf)

    # ---- violations --------------------------------------------------------------------
    def on_update(
        self, update: ViolationUpdate, frame_bgr: np.ndarray | None, source_time_s: float,
        wall_time: datetime,
    ) -> None:
        """Snapshot on start, remember the clearest frame, fix the clip's end on `ended`.

        `frame_bgr` is None for updates made without a picture (camera offline, zone edited
        or removed): they can only end a clip, never open one.
        """
        if not self.cfg.enabled:
            return
        offset_s = source_time_s - update.t_s
        snapshot_job = None
        # scored outside the lock, which the ingest thread needs for every packet
        score = 0.0
        if frame_bgr is not None and update.phase != "started":
            score = clarity(frame_bgr, update.objects)
        with self._lock:
            if update.violation_id in self._done:
                return  # evidence already complete (a capped clip of a long violation)
            clip = self._clips.get(update.violation_id)
            if clip is None:
                if frame_bgr is None:
                    return
                clip, snapshot_job = self._open(update, frame_bgr, offset_s, wall_time)
            elif frame_bgr is not None:
                self._consider_best(clip, update, frame_bgr, wall_time, score)
            if update.phase == "ended" and update.ended_t_s is not None:
                clip.state.ended_at = wall_time - timedelta(seconds=update.t_s - update.ended_t_s)
                if not clip.queued:
                    clip.window.set_end(update.ended_t_s + offset_s + self.cfg.post_s)
        if snapshot_job is not None:  # outside the lock: in replay mode it runs right here
            self._submit(snapshot_job)

    def _open(
        self, update: ViolationUpdate, frame_bgr: np.ndarray, offset_s: float, wall_time: datetime
    ) -> tuple[_Clip, Callable[[], None]]:
        started_at = wall_time - timedelta(seconds=update.t_s - update.started_t_s)
        state = self._fin.new_state(update, started_at)
        start_s = update.started_t_s + offset_s - self.cfg.pre_s
        window = OpenClip(update.violation_id, start_s, start_s + self.cfg.max_clip_s)
        for rec in self._ring.start_at(start_s):
            window.offer(rec)
        clip = _Clip(state, window, self._template)
        self._clips[update.violation_id] = clip
        frame = frame_bgr.copy()  # the caller reuses its buffers
        return clip, lambda: self._fin.write_snapshot(state, frame, update, wall_time)

    def _submit(self, job: Callable[[], None]) -> bool:
        ok = self._runner.submit(job)
        if not ok:
            self.stats.add(queue_drops=1)
        return ok

    def _consider_best(
        self, clip: _Clip, update: ViolationUpdate, frame_bgr: np.ndarray, wall_time: datetime,
        score: float,
    ) -> None:
        best_score = clip.best[0] if clip.best is not None else clip.state.start_clarity
        if score > best_score * 1.05 and score > 0:
            clip.best = (score, frame_bgr.copy(), update, wall_time)

    def is_active(self, violation_id: str) -> bool:
        """Evidence still being recorded (retention must keep it)."""
        with self._lock:
            return any(c.state.dir_name == violation_id for c in self._clips.values())

    # ---- completion --------------------------------------------------------------------
    def poll(self, source_time_s: float) -> list[EvidenceReady]:
        """Write clips whose window is covered (or stale); return evidence completed so far."""
        with self._lock:
            due = [
                c for c in self._clips.values()
                if not c.queued and (
                    c.window.complete
                    or source_time_s >= c.window.target_end_s + self.cfg.stale_s
                )
            ]
        for clip in due:
            self._queue_clip(clip, "complete" if clip.window.complete else "stale")
        return self._take_ready()

    def finish(self, timeout_s: float | None = None) -> list[EvidenceReady]:
        """End of a file source: write every open clip with what there is, wait for it."""
        self._close_all_clips("end_of_stream")
        self._runner.drain(timeout_s)
        return self._take_ready()

    def drain(self, timeout_s: float | None = None) -> list[EvidenceReady]:
        """Wait until queued writes are done (threaded mode); return completed evidence."""
        self._runner.drain(timeout_s)
        return self._take_ready()

    def set_zones(self, zones: Mapping[str, ZoneSpec]) -> None:
        """Zones were edited: later snapshots draw the new polygons."""
        self._fin.zones = zones

    def stop(self, timeout_s: float = 10.0) -> None:
        self._runner.stop(timeout_s)

    def _close_all_clips(self, why: str) -> None:
        with self._lock:
            open_clips = [c for c in self._clips.values() if not c.queued]
        for clip in open_clips:
            self._queue_clip(clip, why)

    def _queue_clip(self, clip: _Clip, why: str) -> None:
        with self._lock:
            # poll() (analysis thread) and a reconnect (ingest thread) may both pick the
            # same open clip; only the first one writes it.
            if clip.queued:
                return
            clip.queued = True
            packets = list(clip.window.packets)
            requested = (clip.window.requested_start_s, clip.window.target_end_s)
        best = clip.best
        clip.best = None
        if not self._submit(lambda: self._finalize(clip, packets, requested, best, why)):
            self._forget(clip)

    def _finalize(
        self, clip: _Clip, packets: list[PacketRecord], requested: tuple[float, float],
        best: tuple[float, np.ndarray, ViolationUpdate, datetime] | None, why: str,
    ) -> None:
        try:
            end_s = requested[1] if math.isfinite(requested[1]) else None
            ready = self._fin.finalize(
                clip.state, clip.template, packets, (requested[0], end_s), best, why
            )
        finally:
            self._forget(clip)
        with self._lock:
            self._ready.append(ready)
        if self._on_ready is not None:
            self._on_ready(ready)

    def _forget(self, clip: _Clip) -> None:
        with self._lock:
            self._clips.pop(clip.state.violation_id, None)
            self._done[clip.state.violation_id] = None
            while len(self._done) > _DONE_MEMORY:
                self._done.popitem(last=False)

    def _take_ready(self) -> list[EvidenceReady]:
        with self._lock:
            ready, self._ready = self._ready, []
        return ready

    @property
    def evidence_dir(self) -> Path:
        return self._fin.root
