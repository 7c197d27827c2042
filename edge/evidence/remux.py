"""Stream copy of buffered packets into MP4: no decoder and no encoder is ever opened."""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.video.stream import VideoStream

from edge.evidence.types import PacketRecord


class StreamTemplate:
    """Codec parameters of the main stream, detached from the input container.

    The parameters are copied into a stream of a never-written in-memory MP4 so that clips
    can still be muxed after the source was closed or reconnected (the worker thread may
    write a clip while the live reader has already moved on).
    """

    def __init__(self, stream: VideoStream) -> None:
        self._holder = av.open(io.BytesIO(), "w", format="mp4")
        self.stream = self._holder.add_stream_from_template(stream)
        if stream.time_base is None:
            raise ValueError("main stream has no time base; cannot cut clips from it")
        self.time_base: Fraction = stream.time_base
        self.codec_name = stream.codec_context.name
        self.width = stream.codec_context.width
        self.height = stream.codec_context.height


@dataclass(frozen=True)
class ClipInfo:
    start_source_s: float
    end_source_s: float
    duration_s: float
    packets: int


def write_mp4(template: StreamTemplate, packets: list[PacketRecord], path: Path) -> ClipInfo:
    """Mux `packets` (starting with a keyframe) into `path`, timestamps rebased to zero."""
    if not packets or not packets[0].keyframe:
        raise ValueError("a clip must start with a keyframe")
    tb = template.time_base
    origin = packets[0].pts
    out = av.open(str(path), "w", format="mp4")
    try:
        ostream = out.add_stream_from_template(template.stream)
        for rec in packets:
            pkt = av.Packet(rec.data)
            pkt.pts = rec.pts - origin
            pkt.dts = rec.dts - origin
            pkt.duration = rec.duration
            pkt.time_base = tb
            pkt.is_keyframe = rec.keyframe
            pkt.stream = ostream
            out.mux(pkt)
    finally:
        out.close()
    last = max(packets, key=lambda r: r.t_s)
    frame_s = float(last.duration * tb) if last.duration else 0.0
    start_s = packets[0].t_s
    end_s = last.t_s + frame_s
    return ClipInfo(start_s, end_s, end_s - start_s, len(packets))
