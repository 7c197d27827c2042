"""Ingest against a real RTSP server (GStreamer) on loopback, and file sources."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import av

from edge.core.frames import Frame
from edge.ingest import CameraSource, ReaderOptions, ReaderState, StreamReader
from edge.ingest.camera import IngestSettings
from tests.live_fixtures import StallingProxy, TrickleProxy
from tests.rtsp_server import RtspServer, wait_until

FAST = ReaderOptions(open_timeout_s=1.5, read_timeout_s=1.5, watchdog_s=3.0,
                     reconnect_initial_s=0.2, reconnect_max_s=1.0)


def _drain(cam: CameraSource, seconds: float) -> list[Frame]:
    got = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        f = cam.slot.take()
        if f is not None:
            got.append(f)
        time.sleep(0.02)
    return got


def test_substream_is_decoded_and_main_stream_only_demuxed(rtsp: RtspServer) -> None:
    packets: list[av.Packet] = []
    sessions: list[object] = []
    cam = CameraSource("c1", rtsp.url("onebyone"), substream_url=rtsp.url("vtest"),
                       settings=IngestSettings(analysis_fps=5, reader=FAST),
                       on_main_packet=packets.append, on_main_session=sessions.append)
    cam.start()
    try:
        assert wait_until(lambda: cam.frames_sampled >= 15, 20)
        frames = _drain(cam, 1.0)
    finally:
        cam.stop()
        assert cam.join(5)
    assert cam.main_reader is not None
    assert cam.main_reader.counters.frames == 0  # never decoded
    assert cam.main_reader.counters.packets > 0 and packets and sessions
    assert any(p.is_keyframe for p in packets)
    # Analysed frames come from the 480x360 substream, at about 5 of its 10 fps.
    assert frames and frames[-1].resolution_wh == (480, 360)
    assert cam.frames_sampled <= cam.frames_in * 0.6
    ts = [f.source_time_s for f in frames]
    assert ts == sorted(ts)
    # Stream time mapped to the wall clock: never in the future, not far behind.
    assert 0 <= time.time() - frames[-1].wall_time_s < 2.0


def test_file_source_loops_with_increasing_timestamps(live_media: dict[str, Path]) -> None:
    times: list[float] = []
    opts = ReaderOptions(loop_file=True, realtime_file=False)
    r = StreamReader("f", str(live_media["frozen"]), opts,
                     on_frame=lambda _f, t: times.append(t or 0.0))
    r.start()
    try:
        assert wait_until(lambda: len(times) > 2500, 60)  # the file has ~1230 frames
    finally:
        r.stop()
        assert r.join(5)
    assert all(b > a for a, b in itertools.pairwise(times))


def test_refused_connection_backs_off_and_stops_promptly(refused_url: str) -> None:
    states: list[tuple[ReaderState, str]] = []
    r = StreamReader("x", refused_url, FAST, on_state=lambda s, d: states.append((s, d)))
    r.start()
    assert wait_until(lambda: r.counters.failures >= 3, 10)
    t0 = time.monotonic()
    r.stop()
    assert r.join(3)
    assert time.monotonic() - t0 < 2
    assert r.state is ReaderState.STOPPED
    assert "refused" in r.last_error.lower()
    assert [s for s, _ in states].count(ReaderState.BACKOFF) >= 3


def test_silent_server_times_out(silent_url: str) -> None:
    r = StreamReader("x", silent_url, FAST)
    r.start()
    try:
        assert wait_until(lambda: r.counters.failures >= 1, 8)
    finally:
        r.stop()
        assert r.join(FAST.open_timeout_s + 2)
    assert r.counters.frames == 0 and r.last_error


def _stall_then_recover(proxy: StallingProxy, r: StreamReader,
                        noticed: Callable[[], bool]) -> float:
    """Stream, stall the proxy until `noticed()`, un-stall, see frames again. Returns the
    seconds from the stall to `noticed()`."""
    assert wait_until(lambda: r.counters.frames >= 10, 15)
    proxy.stalled.set()
    t0 = time.monotonic()
    assert wait_until(noticed, 10), r.state
    took_s = time.monotonic() - t0
    proxy.stalled.clear()
    frames_before = r.counters.frames
    assert wait_until(lambda: r.counters.frames > frames_before + 10, 15)
    return took_s


def test_connection_that_goes_silent_mid_stream_times_out_and_reconnects(
    stalling_proxy: StallingProxy,
) -> None:
    """No packet at all (so no watchdog tick): only the socket read timeout can end the
    session. It is FFmpeg's, in C: PyAV's own read timeout is not used (it takes the GIL on
    every I/O check)."""
    url = f"rtsp://127.0.0.1:{stalling_proxy.port}/vtest"
    r = StreamReader("x", url, FAST, on_frame=lambda f, t: None)
    r.start()
    try:
        took_s = _stall_then_recover(stalling_proxy, r, lambda: r.counters.failures >= 1)
        assert r.counters.watchdog_trips == 0
        assert r.counters.sessions >= 2
    finally:
        r.stop()
        assert r.join(FAST.read_timeout_s + 3)
    # The read timeout (1.5 s), not a long hang.
    assert took_s < FAST.read_timeout_s + 3.0, r.last_error


def test_session_stuck_inside_ffmpeg_is_left_behind_and_replaced(
    trickle_proxy: TrickleProxy,
) -> None:
    """Video stops but RTCP keeps the socket busy: FFmpeg loops in C and never returns to
    Python, and its idle timeout never fires. The stall monitor notices that no packet came
    for read_timeout_s + stall_margin_s and the reader carries on in a new session."""
    url = f"rtsp://127.0.0.1:{trickle_proxy.port}/vtest"
    r = StreamReader("x", url, FAST, on_frame=lambda f, t: None)
    r.start()
    try:
        took_s = _stall_then_recover(trickle_proxy, r, lambda: r.counters.stalls >= 1)
        assert "stuck" in r.last_error
        assert r.state is ReaderState.STREAMING
    finally:
        r.stop()
        assert r.join(FAST.open_timeout_s + 3)  # the current session; the stuck one is left
    assert took_s < FAST.read_timeout_s + FAST.stall_margin_s + 2.0


def test_corrupt_packets_are_survived(rtsp: RtspServer) -> None:
    cam = CameraSource("c", rtsp.url("corrupt"), settings=IngestSettings(5, reader=FAST))
    cam.start()
    try:
        c = cam.detect_reader.counters
        assert wait_until(lambda: c.decode_errors + c.corrupt_frames > 0, 20)
        before = cam.frames_sampled
        assert wait_until(lambda: cam.frames_sampled > before + 10, 15)
    finally:
        cam.stop()
        assert cam.join(5)
