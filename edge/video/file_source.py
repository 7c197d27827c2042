"""Demux and decode a video file with PyAV, sampling frames at the analysis rate.

Every compressed packet is handed on (evidence clips are cut from packets, never re-encoded);
only the sampled frames are converted to BGR arrays, which is the expensive part of decoding
that can be skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)


class SourceError(Exception):
    """A video that cannot be read at all (missing, not a video, no video stream)."""


@dataclass(frozen=True)
class SampledFrame:
    image_bgr: npt.NDArray[np.uint8]
    source_time_s: float  # since the first frame of the source
    index: int  # decoded-frame index in the source


@dataclass
class SourceStats:
    packets: int = 0
    frames_decoded: int = 0
    frames_sampled: int = 0
    corrupt_packets: int = 0


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
    """One pass over a video file: `packets_and_frames()` yields packets and sampled frames."""

    def __init__(self, path: str | Path, analysis_fps: float) -> None:
        self.path = str(path)
        self.period_s = 1.0 / analysis_fps
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

    def packets_and_frames(self) -> Iterator[av.Packet | SampledFrame]:
        """Packets in demux order, each followed by the sampled frames it produced."""
        start_s: float | None = None
        next_sample_s = 0.0
        index = -1
        try:
            for packet in self._container.demux(self._stream):
                if packet.size == 0:  # flush packet at end of stream
                    frames = self._decode(packet)
                else:
                    self.stats.packets += 1
                    yield packet
                    frames = self._decode(packet)
                for frame in frames:
                    index += 1
                    t_s = _frame_time_s(frame, index, self.info.fps)
                    if start_s is None:
                        start_s = t_s
                    rel_s = t_s - start_s
                    # Sample by timestamps, not by frame count, so variable-rate streams
                    # are analysed at the configured rate; a quarter period of slack keeps
                    # timestamp jitter from skipping a due frame.
                    if rel_s < next_sample_s - 0.25 * self.period_s:
                        continue
                    next_sample_s += self.period_s
                    if next_sample_s <= rel_s:  # a gap in the stream: restart the grid
                        next_sample_s = rel_s + self.period_s
                    self.stats.frames_sampled += 1
                    image: npt.NDArray[np.uint8] = frame.to_ndarray(format="bgr24")  # type: ignore[assignment]
                    yield SampledFrame(image_bgr=image, source_time_s=round(rel_s, 6), index=index)
        except av.FFmpegError as e:
            log.warning("%s: stopped reading after a demux error: %s", self.path, e)
        finally:
            self._container.close()

    def _decode(self, packet: av.Packet) -> list[av.VideoFrame]:
        try:
            frames = [f for f in packet.decode() if isinstance(f, av.VideoFrame)]
        except av.FFmpegError as e:
            self.stats.corrupt_packets += 1
            log.debug("%s: corrupt packet skipped: %s", self.path, e)
            return []
        self.stats.frames_decoded += len(frames)
        return frames


def _frame_time_s(frame: av.VideoFrame, index: int, fps: float) -> float:
    if frame.pts is not None and frame.time_base is not None:
        return float(frame.pts * frame.time_base)
    return index / fps if fps > 0 else float(index)
