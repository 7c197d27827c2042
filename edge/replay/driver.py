"""The file driver: one camera's analysis core over a recorded file, as fast as the box
goes (or paced with --realtime).

Three kinds of threads overlap: decoding (one thread, a bounded queue ahead), detection (one
per detector session, frames in flight in parallel) and the core (this thread: tracking,
rules, evidence, events), which takes detections back in frame order. Nothing is dropped
(the queues block): the same file and config always give the same events, whatever the
number of sessions. `replay` and the zone editor's preview use it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av

from edge.config import SiteConfig
from edge.config.timezone import site_timezone
from edge.core.camera import CameraCore
from edge.core.detect import detect_in_order
from edge.core.frames import Frame
from edge.core.protocols import DetectorLike, EventSink, EvidenceLike, through_sinks
from edge.replay.source import FileSource
from publisher.events import Event

log = logging.getLogger(__name__)
_END = object()


@dataclass
class ReplayOptions:
    camera_id: str
    source: Path
    start_at: datetime | None = None
    realtime: bool = False
    progress: bool = False
    on_frame: Callable[[float, int, int], None] | None = None  # (source_time_s, dets, tracks)
    until_s: float | None = None  # stop after this much source time (None: the whole file)


@dataclass
class ReplayResult:
    events: list[Event] = field(default_factory=list)
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


def open_source(cfg: SiteConfig, opts: ReplayOptions,
                sessions: Sequence[DetectorLike]) -> FileSource:
    cam = cfg.camera(opts.camera_id)
    info = getattr(sessions[0], "info", None) if sessions else None
    return FileSource(opts.source, cam.analysis_fps, opts.camera_id,
                      fit_wh=info.input_wh if info is not None else None,
                      max_width_px=cam.stream.max_width_px)


def run_replay(
    cfg: SiteConfig,
    opts: ReplayOptions,
    sessions: Sequence[DetectorLike],
    sinks: Sequence[EventSink],
    evidence: EvidenceLike | None = None,
) -> ReplayResult:
    source = open_source(cfg, opts, sessions)
    origin = replay_origin(opts, source, cfg)
    source.set_origin(origin.timestamp())
    result = ReplayResult(origin=origin)
    core = CameraCore(cfg, opts.camera_id, _emitter(result, sinks), evidence)
    core.set_stream(source.info.stream)
    started = time.monotonic()
    last = _drive(core, source, sessions, opts, started)
    if last is not None:
        core.end_of_stream()
    core.finish_evidence()
    result.frames_decoded = source.stats.frames_decoded
    result.frames_analysed = source.stats.frames_sampled
    result.corrupt_packets = source.stats.corrupt_packets
    result.duration_s = last.source_time_s if last is not None else 0.0
    result.elapsed_s = time.monotonic() - started
    return result


def _drive(
    core: CameraCore, source: FileSource, sessions: Sequence[DetectorLike],
    opts: ReplayOptions, started: float,
) -> Frame | None:
    """Feed every packet and sampled frame to the core; returns the last frame analysed."""
    bar = _progress(opts, source)
    pace = (lambda f: _pace(started, f.source_time_s)) if opts.realtime else None
    last: Frame | None = None
    # closing(): a failure here stops the decode thread at once instead of leaving it
    # blocked on a full queue.
    with closing(_prefetch(source.packets_and_frames())) as decoded:
        for item in detect_in_order(decoded, sessions, before_submit=pace):
            if isinstance(item, av.Packet):
                core.add_packet(item)
                continue
            frame, dets = item
            if opts.until_s is not None and frame.source_time_s > opts.until_s:
                break
            res = core.analyse(frame, dets)
            last = frame
            if opts.on_frame is not None:
                opts.on_frame(frame.source_time_s, len(dets), len(res.tracks))
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    return last


def _emitter(result: ReplayResult, sinks: Sequence[EventSink]) -> EventSink:
    def emit(event: Event) -> None:
        result.events.append(through_sinks(event, sinks))

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
