"""One camera: a detection stream decoded and sampled into a latest-frame slot, and the main
stream's compressed packets handed on for evidence clips.

With a `substream_url`, two RTSP sessions are opened: the substream is decoded for detection;
the main stream is only demuxed (never decoded) and its packets go to `on_main_packet`.
Without one, the main stream does both jobs in one session.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av

from edge.core.frames import analysis_frame
from edge.core.sampler import FrameSampler
from edge.ingest.clock import StreamClock
from edge.ingest.reader import ReaderOptions, ReaderState, StreamReader, is_file_source
from edge.ingest.slot import LatestFrameSlot

log = logging.getLogger(__name__)

PacketSink = Callable[[av.Packet], None]
SessionSink = Callable[[Any], None]


@dataclass(frozen=True)
class IngestSettings:
    analysis_fps: float = 5.0
    # Sampled frames are converted once, straight to the size the detector letterboxes them
    # to (`fit_wh`, its input): converting to anything larger costs more and the detector
    # throws the extra pixels away. Snapshots are converted on demand, at most
    # `max_width_px` wide; the full-resolution picture is in the clip's packets.
    max_width_px: int = 960
    fit_wh: tuple[int, int] | None = None
    reader: ReaderOptions = field(default_factory=ReaderOptions)


class CameraSource:
    def __init__(
        self,
        camera_id: str,
        url: str,
        substream_url: str | None = None,
        settings: IngestSettings | None = None,
        on_main_packet: PacketSink | None = None,
        on_main_session: SessionSink | None = None,
        slot: LatestFrameSlot | None = None,
        on_state: Callable[[str, ReaderState, str], None] | None = None,
        phase_frac: float = 0.0,
        consumer_ready: Callable[[], bool] | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.settings = settings or IngestSettings()
        self.slot = slot or LatestFrameSlot()
        self.clock = StreamClock()
        # Sampling runs on the wall-clock grid, shifted by phase_frac of a period (see
        # FrameSampler), so that cameras take turns instead of all sampling at once.
        self.sampler = FrameSampler(self.settings.analysis_fps, phase_frac)
        # While analysis still works on this camera's previous frame, a due sample waits
        # for the next decoded frame instead of being converted and then thrown away.
        self._consumer_ready = consumer_ready
        self._seq = 0
        self.frames_in = 0
        self.frames_sampled = 0
        self._on_state = on_state
        ropts = self.settings.reader
        if is_file_source(url):
            # Files are for tests and demos: loop them, paced like a live camera.
            ropts = dataclasses.replace(ropts, loop_file=True)
        # A substream is only analysed (snapshots come from it at most as a fallback): its
        # decoder may skip the loop filter when the configuration allows.
        detect_opts = ropts if substream_url else dataclasses.replace(ropts,
                                                                      skip_loop_filter=False)
        self.detect_reader = StreamReader(
            f"{camera_id}/{'sub' if substream_url else 'main'}",
            substream_url or url,
            detect_opts,
            on_frame=self._on_frame,
            on_packet=None if substream_url else on_main_packet,
            on_state=lambda s, d: self._state("sub" if substream_url else "main", s, d),
            on_session=self._on_session(None if substream_url else on_main_session),
        )
        self.main_reader: StreamReader | None = None
        if substream_url:
            self.main_reader = StreamReader(
                f"{camera_id}/main",
                url,
                dataclasses.replace(ropts, decode=False),
                on_packet=on_main_packet,
                on_state=lambda s, d: self._state("main", s, d),
                on_session=on_main_session,
            )

    @property
    def readers(self) -> list[StreamReader]:
        return [r for r in (self.detect_reader, self.main_reader) if r is not None]

    def start(self) -> None:
        for r in self.readers:
            r.start()

    def stop(self) -> None:
        for r in self.readers:
            r.stop()

    def join(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        return all(r.join(max(0.0, deadline - time.monotonic())) for r in self.readers)

    @property
    def last_frame_mono_s(self) -> float | None:
        return self.detect_reader.last_frame_mono_s

    def _on_session(self, downstream: SessionSink | None) -> SessionSink:
        def hook(stream: Any) -> None:
            self.clock.new_session()
            if downstream is not None:
                downstream(stream)

        return hook

    def _state(self, which: str, state: ReaderState, detail: str) -> None:
        if self._on_state is not None:
            self._on_state(which, state, detail)

    def _on_frame(self, frame: av.VideoFrame, pts_s: float | None) -> None:
        self.frames_in += 1
        source_time_s, wall_time_s = self.clock.map(pts_s)
        ready = self._consumer_ready() if self._consumer_ready is not None else True
        if not self.sampler.poll(wall_time_s, ready):
            return
        # Only sampled frames pay for the colour conversion (and downscale).
        self._seq += 1
        self.frames_sampled += 1
        self.slot.put(analysis_frame(frame, self.camera_id, self._seq, source_time_s,
                                     wall_time_s, self.settings.fit_wh,
                                     self.settings.max_width_px))
