"""One stream (one RTSP session or one file) read by one thread, reconnecting forever.

State machine:  CONNECTING → STREAMING → (error / EOF / watchdog / stall) → BACKOFF →
CONNECTING … and STOPPED from anywhere on stop(). The backoff grows while attempts fail and
resets once a session has delivered frames.

A session stuck inside FFmpeg (see stall.py) cannot be interrupted from Python: the reader
leaves that thread behind (it ends when its connection does) and carries on in a new one.
Each session thread has a generation number; a left-behind thread that wakes up sees it is
no longer current and quits without touching the reader's state.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

from edge.ingest.stall import MONITOR
from publisher.backoff import Backoff

log = logging.getLogger(__name__)
# Sessions stuck inside FFmpeg that one reader leaves behind before it stops trying (each
# holds a thread and a socket until the camera drops the connection).
MAX_LEFT_BEHIND = 3


class ReaderState(enum.Enum):
    IDLE = "idle"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    BACKOFF = "backoff"
    STOPPED = "stopped"


@dataclass(frozen=True)
class ReaderOptions:
    open_timeout_s: float = 5.0
    read_timeout_s: float = 5.0
    # No decoded frame for this long while packets still arrive (a broken stream) → reconnect.
    watchdog_s: float = 8.0
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 30.0
    # No packet for read_timeout_s + this while the connection is open: the session is stuck
    # inside FFmpeg (stall.py) and is left behind.
    stall_margin_s: float = 2.0
    decode: bool = True
    decode_threads: int = 1  # many cameras share few cores: no frame threading per camera
    # Decoding for detection only (a substream): skip the deblocking filter, which a 416 px
    # detector does not need (1.3-1.4x faster decoding; tests/ingest/test_fast_decode.py
    # checks the detections stay the same). Never on a stream whose frames make snapshots.
    skip_loop_filter: bool = False
    loop_file: bool = False
    realtime_file: bool = True  # pace a file like a camera (live demos, tests)


FrameCallback = Callable[[av.VideoFrame, float | None], None]
PacketCallback = Callable[[av.Packet], None]
StateCallback = Callable[[ReaderState, str], None]


class StreamEnded(Exception):
    """The source ended or stopped delivering frames; reconnect after a backoff."""


@dataclass
class ReaderCounters:
    sessions: int = 0
    failures: int = 0
    packets: int = 0
    frames: int = 0
    decode_errors: int = 0
    corrupt_frames: int = 0
    watchdog_trips: int = 0
    stalls: int = 0  # sessions left behind, stuck inside FFmpeg
    unexpected_errors: int = 0  # exceptions of no expected kind (bugs, callbacks): retried


_CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/@\s:]*):[^@/\s]*@")


def redact(text: str) -> str:
    """`rtsp://user:secret@host` → `rtsp://user:***@host` anywhere in a text: camera
    passwords stay out of logs, states, events and /health."""
    return _CREDENTIALS.sub(r"\g<scheme>\g<user>:***@", text)


def is_file_source(url: str) -> bool:
    return "://" not in url or url.startswith("file://")


class StreamReader:
    def __init__(
        self,
        name: str,
        url: str,
        options: ReaderOptions | None = None,
        on_frame: FrameCallback | None = None,
        on_packet: PacketCallback | None = None,
        on_state: StateCallback | None = None,
        on_session: Callable[[Any], None] | None = None,
    ) -> None:
        self.name = name
        self.url = url
        self.opts = options or ReaderOptions()
        self._on_frame = on_frame
        self._on_packet = on_packet
        self._on_state = on_state
        self._on_session = on_session
        self._stop = threading.Event()
        # Guards the session bookkeeping (generation, thread, backoff, state) that the reader
        # thread and the stall monitor's thread both change.
        self._lock = threading.RLock()
        self._thread: threading.Thread | None = None
        self._backoff = Backoff(self.opts.reconnect_initial_s, self.opts.reconnect_max_s)
        self.state = ReaderState.IDLE
        self.last_error = ""
        self.counters = ReaderCounters()
        self.last_frame_mono_s: float | None = None
        self.last_packet_mono_s: float | None = None
        self.stream_info: dict[str, Any] = {}
        self._generation = 0
        self._left_behind: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._thread is not None:
            return
        self._spawn(0.0)
        MONITOR.add(self)

    def _spawn(self, delay_s: float) -> None:
        with self._lock:
            gen = self._generation
            self._thread = threading.Thread(target=self._run, args=(gen, delay_s),
                                            name=f"ingest-{self.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        MONITOR.discard(self)

    def join(self, timeout_s: float) -> bool:
        with self._lock:
            thread = self._thread
        if thread is None:
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    def run(self) -> None:
        """Read in the calling thread until stop() (start() runs this in its own thread)."""
        self._run(self._generation, 0.0)

    def _current(self, gen: int) -> bool:
        return gen == self._generation and not self._stop.is_set()

    def _run(self, gen: int, delay_s: float) -> None:
        self._stop.wait(delay_s)
        while self._current(gen):
            detail = self._attempt(gen)
            with self._lock:
                if not self._current(gen):
                    break
                self.counters.failures += 1
                self.last_error = detail
                delay_s = self._backoff.next_delay_s()
                self._set_state(ReaderState.BACKOFF, f"{detail}; retry in {delay_s:.1f}s")
            self._log_failure(detail, delay_s)
            self._stop.wait(delay_s)
        with self._lock:
            if gen == self._generation:
                self._set_state(ReaderState.STOPPED, "")

    def _attempt(self, gen: int) -> str:
        """One session; returns why it ended. Never raises: a camera is retried for as long
        as the box runs, whatever went wrong (a bug in a callback included)."""
        try:
            with self._lock:
                if not self._current(gen):
                    return "stopped"
                self._set_state(ReaderState.CONNECTING, "")
            self._session(gen)
            return "stream ended"
        except StreamEnded as e:
            return redact(str(e))
        except (av.FFmpegError, OSError, ValueError, IndexError) as e:
            # FFmpeg's messages end with the URL, credentials included.
            return redact(f"{type(e).__name__}: {e}")
        except Exception as e:
            self.counters.unexpected_errors += 1
            trace = "".join(traceback.format_exception(e))
            log.error("%s: unexpected error in the reader (retried):\n%s", self.name,
                      redact(trace))
            return redact(f"unexpected {type(e).__name__}: {e}")

    def _log_failure(self, detail: str, delay_s: float) -> None:
        # A camera that stays down must not fill the log: the first failures, then one line
        # per hundred (the state and counters say the rest).
        n = self.counters.failures
        level = logging.WARNING if n <= 10 or n % 100 == 0 else logging.DEBUG
        log.log(level, "%s: %s; reconnecting in %.1fs (failure %d)", self.name, detail,
                delay_s, n)

    def check_stalled(self, now_mono_s: float) -> bool:
        """Called by the stall monitor: leave a stuck session behind, start a new one."""
        with self._lock:
            last = self.last_packet_mono_s
            limit_s = self.opts.read_timeout_s + self.opts.stall_margin_s
            if (self.state is not ReaderState.STREAMING or self._stop.is_set() or last is None
                    or now_mono_s - last <= limit_s):
                return False
            self._left_behind = [t for t in self._left_behind if t.is_alive()]
            if len(self._left_behind) >= MAX_LEFT_BEHIND:
                return False  # said once below; the camera shows as offline meanwhile
            if self._thread is not None:
                self._left_behind.append(self._thread)
            self._generation += 1
            self.counters.stalls += 1
            self.counters.failures += 1
            self.last_error = (f"no packet for {now_mono_s - last:.1f}s although the "
                               "connection stayed open (stuck in FFmpeg)")
            delay_s = self._backoff.next_delay_s()
            self._set_state(ReaderState.BACKOFF, f"{self.last_error}; retry in {delay_s:.1f}s")
            log.warning("%s: %s; new session in %.1fs%s", self.name, self.last_error, delay_s,
                        "" if len(self._left_behind) < MAX_LEFT_BEHIND else
                        f" ({MAX_LEFT_BEHIND} stuck sessions left behind: no more)")
            self._spawn(delay_s)
        return True

    # ------------------------------------------------------------------ one session
    def _session(self, gen: int) -> None:
        container = self._open()
        try:
            stream = container.streams.video[0]
            stream.codec_context.thread_count = self.opts.decode_threads
            if self.opts.skip_loop_filter and self.opts.decode:
                # Set before the first packet: the decoder opens lazily with these options.
                stream.codec_context.options = {"skip_loop_filter": "all"}
            self.counters.sessions += 1
            self.stream_info = {
                "codec": stream.codec_context.name,
                "resolution_wh": (stream.codec_context.width, stream.codec_context.height),
            }
            if self._on_session is not None:
                self._on_session(stream)
            self._pump(container, stream, gen)
        finally:
            container.close()

    def _open(self) -> Any:
        if is_file_source(self.url):
            path = self.url.removeprefix("file://")
            if not Path(path).is_file():
                raise StreamEnded(f"file not found: {path}")
            return av.open(path)
        options = {
            "rtsp_transport": "tcp",
            # Socket I/O timeout in microseconds (FFmpeg >= 5 name; older ones used stimeout).
            "timeout": str(int(self.opts.read_timeout_s * 1e6)),
            "analyzeduration": "1000000",
            # Video only: an audio track that keeps flowing after the video stopped would
            # keep PyAV's demux loop busy without ever handing us a packet.
            "allowed_media_types": "video",
            "probesize": "500000",
        }
        # Reads are bounded by FFmpeg's own socket timeout above (C, no GIL), and sessions
        # stuck inside FFmpeg by the stall monitor. PyAV's read timeout is not used: it
        # installs an interrupt callback that takes the GIL and calls Python on every FFmpeg
        # I/O check, several times per RTP packet; with dozens of sessions the analysis
        # threads then spent most of their time waiting for the GIL.
        return av.open(self.url, options=options, timeout=(self.opts.open_timeout_s, None))

    def _pump(self, container: Any, stream: Any, gen: int) -> None:
        session_start = time.monotonic()
        got_frame = False
        for packet in self._packets(container, stream):
            if not self._current(gen):
                return
            now = time.monotonic()
            self.last_packet_mono_s = now
            self.counters.packets += 1
            if self._on_packet is not None and packet.size:
                self._on_packet(packet)
            if self.opts.decode:
                got_frame = self._decode(packet) or got_frame
            elif packet.size:
                got_frame = True
                self.last_frame_mono_s = now
            if got_frame and self.state is not ReaderState.STREAMING:
                with self._lock:
                    if not self._current(gen):
                        return
                    self._backoff.reset()
                    self._set_state(ReaderState.STREAMING, "")
            last = self.last_frame_mono_s if got_frame else session_start
            if last is not None and now - last > self.opts.watchdog_s:
                self.counters.watchdog_trips += 1
                raise StreamEnded(f"no frame for {now - last:.1f}s (watchdog)")

    def _decode(self, packet: av.Packet) -> bool:
        try:
            frames = packet.decode()
        except av.InvalidDataError:
            self.counters.decode_errors += 1
            return False
        good = False
        for frame in frames:
            self.counters.frames += 1
            if frame.is_corrupt:
                # Concealed decoding errors: not trusted for detection or tamper checks. A
                # stream that only yields such frames trips the watchdog and reconnects.
                self.counters.corrupt_frames += 1
                continue
            good = True
            self.last_frame_mono_s = time.monotonic()
            if self._on_frame is not None:
                self._on_frame(frame, frame.time)
        return good

    def _packets(self, container: Any, stream: Any) -> Iterator[av.Packet]:
        if not is_file_source(self.url):
            yield from container.demux(stream)
            return
        # A file: paced like a camera and optionally looped, with timestamps kept increasing.
        offset_s = 0.0
        t0 = time.monotonic()
        while not self._stop.is_set():
            end_s = 0.0
            for packet in container.demux(stream):
                if packet.pts is not None and packet.time_base is not None:
                    t_s = float(packet.pts * packet.time_base)
                    end_s = max(end_s, t_s + float((packet.duration or 0) * packet.time_base))
                    # Pace by decode time, as a camera sends packets: pacing by pts (which
                    # jumps ahead on P-frames when there are B-frames) makes the decoder
                    # release frames in bursts, and the sampler then misses grid slots.
                    send_s = t_s if packet.dts is None else float(packet.dts * packet.time_base)
                    if self.opts.realtime_file:
                        self._stop.wait(max(0.0, t0 + offset_s + send_s - time.monotonic()))
                    packet.pts = packet.pts + int(offset_s / packet.time_base)
                    if packet.dts is not None:
                        packet.dts = packet.dts + int(offset_s / packet.time_base)
                yield packet
                if self._stop.is_set():
                    return
            if not self.opts.loop_file:
                return
            offset_s += end_s
            container.seek(0, stream=stream)
            stream.codec_context.flush_buffers()

    def _set_state(self, state: ReaderState, detail: str) -> None:
        if state is self.state and not detail:
            return
        self.state = state
        if self._on_state is not None:
            try:
                self._on_state(state, detail)
            except Exception:  # a broken listener must not kill ingest
                log.exception("%s: state listener failed", self.name)
