"""A recorded video file as a camera: packets for evidence, sampled frames for analysis.

Sampling (`edge.core.sampler`) and conversion (`edge.core.frames`) are the live runtime's
own, so a file replayed here and the same video served by a camera give the detector the
same pictures. Every compressed packet is handed on (evidence clips are cut from packets,
never re-encoded); only sampled frames are converted.

Damaged files are read to their end: a packet that does not decode is counted and skipped,
and a demux error is retried from where the demuxer stands (a damaged region is skipped).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av

from edge.core.frames import Frame, analysis_frame
from edge.core.sampler import FrameSampler

log = logging.getLogger(__name__)
# Demux errors in a row without a packet in between: the file is unreadable from here on.
MAX_DEMUX_ERRORS_IN_A_ROW = 20


class SourceError(Exception):
    """A video that cannot be read at all (missing, not a video, no video stream)."""


@dataclass
class SourceStats:
    packets: int = 0
    frames_decoded: int = 0
    frames_sampled: int = 0
    corrupt_packets: int = 0
    corrupt_frames: int = 0  # decoded with concealed errors: not analysed, as live
    demux_errors: int = 0


@dataclass(frozen=True)
class SourceInfo:
    path: str
    resolution_wh: tuple[int, int]
    fps: float
    duration_s: float | None
    codec: str
    creation_time: datetime | None
    stream: av.video.stream.VideoStream


class FileSource:
    """One pass over a video file: `packets_and_frames()` yields packets and sampled frames.

    `origin_wall_s` maps source time to wall-clock time (the replay's --start-at);
    `fit_wh` is the detector's input size (frames are converted straight to it).
    """

    def __init__(
        self,
        path: str | Path,
        analysis_fps: float,
        camera_id: str = "file",
        *,
        origin_wall_s: float = 0.0,
        fit_wh: tuple[int, int] | None = None,
        max_width_px: int = 960,
        skip_loop_filter: bool = False,
    ) -> None:
        """`skip_loop_filter`: decode as a live substream is (for the accuracy checks and
        benchmarks of that lever); replay itself decodes fully, as its frames make
        snapshots."""
        self.path = str(path)
        self.camera_id = camera_id
        self.sampler = FrameSampler(analysis_fps)
        self.period_s = self.sampler.period_s
        self.origin_wall_s = origin_wall_s
        self.fit_wh = fit_wh
        self.max_width_px = max_width_px
        self.stats = SourceStats()
        if not Path(self.path).is_file():
            raise SourceError(f"{self.path}: no such video file")
        try:
            self._container = av.open(self.path)
        except (av.FFmpegError, OSError) as e:
            raise SourceError(f"{self.path}: not a readable video ({e})") from None
        if not self._container.streams.video:
            self._container.close()
            raise SourceError(f"{self.path}: the file has no video stream")
        self._stream = self._container.streams.video[0]
        if skip_loop_filter:
            self._stream.codec_context.options = {"skip_loop_filter": "all"}
        self.info = self._probe()

    def _probe(self) -> SourceInfo:
        s = self._stream
        rate = s.average_rate or s.guessed_rate
        duration_s = None
        if s.duration is not None and s.time_base is not None:
            duration_s = float(s.duration * s.time_base)
        elif self._container.duration:
            duration_s = self._container.duration / 1_000_000
        created = self._container.metadata.get("creation_time")
        creation_time = None
        if created:
            try:
                creation_time = datetime.fromisoformat(created.replace("Z", "+00:00"))
            except ValueError:
                log.debug("%s: unparsable creation_time %r", self.path, created)
        return SourceInfo(
            path=self.path,
            resolution_wh=(s.codec_context.width, s.codec_context.height),
            fps=float(rate) if rate else 0.0,
            duration_s=duration_s,
            codec=s.codec_context.name,
            creation_time=creation_time,
            stream=s,
        )

    def set_origin(self, origin_wall_s: float) -> None:
        self.origin_wall_s = origin_wall_s

    def packets_and_frames(self) -> Iterator[av.Packet | Frame]:
        """Packets in demux order, each followed by the sampled frames it produced."""
        start_s: float | None = None
        index = -1
        try:
            for packet in self._packets():
                frames = self._decode(packet)
                if packet.size:
                    yield packet
                for frame in frames:
                    index += 1
                    t_s = _frame_time_s(frame, index, self.info.fps)
                    if start_s is None:
                        start_s = t_s
                    rel_s = t_s - start_s
                    if self.sampler.due(rel_s):
                        yield self._convert(frame, rel_s)
        finally:
            self._container.close()

    def _convert(self, frame: av.VideoFrame, rel_s: float) -> Frame:
        self.stats.frames_sampled += 1
        return analysis_frame(frame, self.camera_id, self.stats.frames_sampled,
                              round(rel_s, 6), self.origin_wall_s + rel_s, self.fit_wh,
                              self.max_width_px)

    def _packets(self) -> Iterator[av.Packet]:
        errors_in_a_row = 0
        while True:
            try:
                for packet in self._container.demux(self._stream):
                    errors_in_a_row = 0
                    if packet.size:
                        self.stats.packets += 1
                    yield packet
                return
            except av.FFmpegError as e:
                self.stats.demux_errors += 1
                errors_in_a_row += 1
                if errors_in_a_row >= MAX_DEMUX_ERRORS_IN_A_ROW:
                    log.warning("%s: stopped reading after %d demux errors in a row: %s",
                                self.path, errors_in_a_row, e)
                    return
                log.debug("%s: demux error skipped: %s", self.path, e)

    def _decode(self, packet: av.Packet) -> list[av.VideoFrame]:
        try:
            frames = [f for f in packet.decode() if isinstance(f, av.VideoFrame)]
        except av.FFmpegError as e:
            self.stats.corrupt_packets += 1
            log.debug("%s: corrupt packet skipped: %s", self.path, e)
            return []
        self.stats.frames_decoded += len(frames)
        good = [f for f in frames if not f.is_corrupt]
        self.stats.corrupt_frames += len(frames) - len(good)
        return good


def _frame_time_s(frame: av.VideoFrame, index: int, fps: float) -> float:
    if frame.pts is not None and frame.time_base is not None:
        return float(frame.pts * frame.time_base)
    return index / fps if fps > 0 else float(index)
