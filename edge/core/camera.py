"""One camera's analysis core, the same for every driver.

    core = CameraCore(cfg, camera_id, sink, evidence)
    core.set_stream(stream); core.add_packet(pkt)       # the main stream's packets (clips)
    core.analyse(frame, detections)                     # every sampled frame, in order
    core.step_unobserved(source_time_s, wall_time_s)    # live: no frame (camera offline)
    core.reconfigure(cfg)                               # zones edited
    core.end_of_stream(); core.finish_evidence()        # a recording ended / shutdown

It runs tracking and rules (CameraAnalysis), hands each violation update with its picture to
the evidence recorder, announces finished evidence, and gives every event to `sink` in
order. `replay`, the editor's preview and the live runtime drive it; only the frame source
differs, so the same footage gives the same violations. Not thread-safe: a driver calls it
from one thread at a time (the live runtime holds the camera's lock).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from edge.config import SiteConfig
from edge.core.analysis import CameraAnalysis, FrameResult
from edge.core.frames import Frame
from edge.core.metric import zone_specs
from edge.core.protocols import EventSink, EvidenceLike
from edge.evidence.types import EvidenceReady
from models.types import Detections


class CameraCore:
    def __init__(
        self, cfg: SiteConfig, camera_id: str, sink: EventSink,
        evidence: EvidenceLike | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.analysis = CameraAnalysis(cfg, camera_id)
        self.evidence = evidence
        self._sink = sink
        self._last_frame: Frame | None = None

    @property
    def tz(self) -> ZoneInfo:
        return self.analysis.tz

    # ------------------------------------------------------------------ evidence feed
    def set_stream(self, stream: object, source_offset_s: float = 0.0) -> None:
        if self.evidence is not None:
            self.evidence.set_stream(stream, source_offset_s)

    def add_packet(self, packet: object) -> None:
        if self.evidence is not None:
            self.evidence.add_packet(packet)

    # ------------------------------------------------------------------ frames
    def analyse(
        self, frame: Frame, detections: Detections | None, observable: bool = True
    ) -> FrameResult:
        """`detections` None: detection was skipped (nothing moved); see CameraAnalysis."""
        res = self.analysis.process(detections, frame.analysis_wh, frame.source_time_s,
                                    frame.wall_time_s, observable=observable)
        self._last_frame = frame
        picture = frame.evidence_bgr() if res.updates and self.evidence is not None else None
        self._emit(res, picture)
        self._poll_evidence(frame.source_time_s)
        return res

    def step_unobserved(self, source_time_s: float, wall_time_s: float) -> FrameResult:
        """No frame (camera offline): the rules' clocks pause and open violations say that
        the zone could not be watched."""
        res = self.analysis.process(Detections.empty(), (1, 1), source_time_s, wall_time_s,
                                    observable=False)
        self._emit(res, None)
        return res

    def reconfigure(self, cfg: SiteConfig) -> FrameResult:
        res = self.analysis.reconfigure(cfg)
        if self.evidence is not None:
            self.evidence.set_zones({s.zone_id: s for s in zone_specs(cfg, self.camera_id)})
        self._emit(res, None)
        return res

    def end_of_stream(self, reason: str = "stream_end") -> FrameResult:
        """A recording ends, the site does not: violations still open are ended so that
        every record (and its clip) is complete."""
        res = self.analysis.close_all(reason)
        last = self._last_frame
        picture = last.evidence_bgr() if res.updates and last is not None and \
            self.evidence is not None else None
        self._emit(res, picture)
        return res

    def finish_evidence(self, timeout_s: float | None = None) -> None:
        """Write open clips with what is buffered and announce them."""
        if self.evidence is not None:
            self._announce(self.evidence.finish(timeout_s))

    # ------------------------------------------------------------------ emission
    def _emit(self, res: FrameResult, picture: np.ndarray | None) -> None:
        """Each update's event, then the update to the evidence recorder; updates made
        without a picture (camera offline, zone edited) can still end their clips."""
        for update, event in zip(res.updates, res.events, strict=True):
            self._sink(event)
            if self.evidence is not None:
                wall = datetime.fromtimestamp(update.t_s, self.tz)
                # the event's source time (to the millisecond), as written on the wire
                src_t = round(update.t_s - self.analysis.offset_s, 3)
                self.evidence.on_update(update, picture, src_t, wall)

    def _poll_evidence(self, source_time_s: float) -> None:
        if self.evidence is not None:
            self._announce(self.evidence.poll(source_time_s))

    def _announce(self, ready: list[EvidenceReady]) -> None:
        for r in ready:
            event = self.analysis.evidence_ready(r.violation_id, r.evidence)
            if event is not None:
                self._sink(event)
