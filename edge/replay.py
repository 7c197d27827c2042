"""Replay a recorded file through one camera's whole pipeline, as fast as possible or paced.

Three stages in three threads, each ahead of the next by a small bounded queue: decoding,
detection, then tracking/rules/evidence. onnxruntime and FFmpeg release the GIL, so on a
2-core box decoding and the Python-heavy tracking share one core while inference keeps the
other busy: the stages overlap instead of adding up. Nothing is dropped in replay (the
queues block): the same file and config always give the same events.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import av

from edge.config import SiteConfig
from edge.pipeline import CameraPipeline, FrameResult
from edge.timezone import site_timezone
from edge.video.file_source import FileSource, SampledFrame
from models.types import Detections

log = logging.getLogger(__name__)

EventSink = Callable[[dict[str, Any]], None]
_END = object()


class DetectorLike(Protocol):
    def detect(self, image_bgr: Any) -> Detections: ...


class EvidenceLike(Protocol):
    def set_stream(self, stream: Any) -> None: ...
    def add_packet(self, packet: av.Packet) -> None: ...
    def on_update(
        self, update: Any, frame_bgr: Any, source_time_s: float, wall_time: datetime
    ) -> None: ...
    def poll(self, source_time_s: float) -> list[Any]: ...
    def finish(self) -> list[Any]: ...


@dataclass
class ReplayOptions:
    camera_id: str
    source: Path
    start_at: datetime | None = None
    realtime: bool = False
    progress: bool = False
    on_frame: Callable[[float, int, int], None] | None = None  # (source_time_s, dets, tracks)


@dataclass
class ReplayResult:
    events: list[dict[str, Any]] = field(default_factory=list)
    frames_decoded: int = 0
    frames_analysed: int = 0
    corrupt_packets: int = 0
    duration_s: float = 0.0
    elapsed_s: float = 0.0
    origin: datetime | None = None


def replay_origin(opts: ReplayOptions, source: FileSource, cfg: SiteConfig) -> datetime:
    """Wall-clock time of the source's first frame: --start-at, else the file's
    creation_time tag, else 2000-01-01 00:00 site time (fixed, so replays are repeatable)."""
    if opts.start_at is not None:
        return opts.start_at
    created = source.info.creation_time
    if created is not None:
        # MP4 creation_time is UTC by definition; a tag without an offset is read as UTC.
        return created if created.tzinfo is not None else created.replace(tzinfo=UTC)
    return datetime(2000, 1, 1, tzinfo=site_timezone(cfg.timezone))


def run_replay(
    cfg: SiteConfig,
    opts: ReplayOptions,
    detector: DetectorLike,
    sinks: list[EventSink],
    evidence: EvidenceLike | None = None,
) -> ReplayResult:
    source = FileSource(opts.source, cfg.camera(opts.camera_id).analysis_fps)
    pipeline = CameraPipeline(cfg, opts.camera_id)
    origin = replay_origin(opts, source, cfg)
    result = ReplayResult(origin=origin)
    emit = _emitter(result, sinks)
    if evidence is not None:
        evidence.set_stream(source.info.stream)
    started = time.monotonic()
    bar = _progress(opts, source)
    last_t_s = 0.0
    last_frame: SampledFrame | None = None
    decoded = _prefetch(source.packets_and_frames())
    pace_from = started if opts.realtime else None
    # closing(): a failure in this loop stops the decode and detection threads at once
    # instead of leaving them blocked on full queues.
    with closing(_prefetch(_detected(decoded, detector, pace_from))) as stages:
        for item in stages:
            if isinstance(item, av.Packet):
                if evidence is not None:
                    evidence.add_packet(item)
                continue
            frame, dets = item
            last_t_s = frame.source_time_s
            last_frame = frame
            _analyse(frame, dets, pipeline, origin, opts, evidence, emit, source)
            if bar is not None:
                bar.update(1)
    if last_frame is not None:
        # A recording ends, the site does not: violations still open are ended with reason
        # stream_end so that every record (and its clip) is complete.
        _record(pipeline.close_all(), last_frame, pipeline, evidence, emit)
    if evidence is not None:
        for ready in evidence.finish():
            ev = pipeline.evidence_ready(ready.violation_id, ready.evidence)
            if ev is not None:
                emit(ev)
    if bar is not None:
        bar.close()
    result.frames_decoded = source.stats.frames_decoded
    result.frames_analysed = source.stats.frames_sampled
    result.corrupt_packets = source.stats.corrupt_packets
    result.duration_s = last_t_s
    result.elapsed_s = time.monotonic() - started
    return result


def _detected(
    items: Iterator[Any], detector: DetectorLike, pace_from: float | None
) -> Iterator[Any]:
    """Packets pass through; each sampled frame becomes (frame, detections)."""
    for item in items:
        if isinstance(item, SampledFrame):
            if pace_from is not None:
                _pace(pace_from, item.source_time_s)
            yield item, detector.detect(item.image_bgr)
        else:
            yield item


def _analyse(
    item: SampledFrame,
    dets: Detections,
    pipeline: CameraPipeline,
    origin: datetime,
    opts: ReplayOptions,
    evidence: EvidenceLike | None,
    emit: EventSink,
    source: FileSource,
) -> None:
    wall_t_s = origin.timestamp() + item.source_time_s
    res = pipeline.process(dets, source.info.resolution_wh, item.source_time_s, wall_t_s)
    if opts.on_frame is not None:
        opts.on_frame(item.source_time_s, len(dets), len(res.tracks))
    _record(res, item, pipeline, evidence, emit)
    if evidence is not None:
        for ready in evidence.poll(item.source_time_s):
            ev = pipeline.evidence_ready(ready.violation_id, ready.evidence)
            if ev is not None:
                emit(ev)


def _record(
    res: FrameResult,
    frame: SampledFrame,
    pipeline: CameraPipeline,
    evidence: EvidenceLike | None,
    emit: EventSink,
) -> None:
    """Emit a frame's events; the evidence recorder sees each update with its frame."""
    for update, event in zip(res.updates, res.events, strict=True):
        emit(event)
        if evidence is not None:
            wall = datetime.fromtimestamp(update.t_s, pipeline.tz)
            evidence.on_update(update, frame.image_bgr, event["data"]["source_time_s"], wall)


def _emitter(result: ReplayResult, sinks: list[EventSink]) -> EventSink:
    def emit(event: dict[str, Any]) -> None:
        result.events.append(event)
        for sink in sinks:
            sink(event)

    return emit


def _prefetch(items: Iterator[Any], depth: int = 16) -> Generator[Any, None, None]:
    """Run `items` in a thread, `depth` items ahead (packets are small; frames dominate)."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    failure: list[BaseException] = []
    stop = threading.Event()

    def put(it: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(it, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for it in items:
                if not put(it):
                    return
        except BaseException as e:  # re-raised in the consumer thread
            failure.append(e)
        finally:
            # Closing the input shuts an upstream stage (and its file) down too when the
            # consumer stopped early.
            close = getattr(items, "close", None)
            if close is not None:
                close()
            put(_END)

    worker = threading.Thread(target=produce, name="replay-decode", daemon=True)
    worker.start()
    try:
        while (it := q.get()) is not _END:
            yield it
    finally:
        stop.set()
        worker.join(timeout=5)
    if failure:
        raise failure[0]


def _pace(started: float, source_time_s: float) -> None:
    delay = started + source_time_s - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _progress(opts: ReplayOptions, source: FileSource) -> Any:
    if not opts.progress:
        return None
    from tqdm import tqdm

    fps = source.info.fps or 0
    total = None
    if source.info.duration_s:
        total = int(source.info.duration_s * min(fps or 1e9, 1.0 / source.period_s)) or None
    return tqdm(total=total, unit="frame", desc=f"replay {opts.camera_id}", leave=False)
