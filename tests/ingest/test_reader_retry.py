"""A reader retries for as long as the box runs, whatever goes wrong."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

import pytest

from edge.ingest import ReaderOptions, ReaderState, StreamReader
from edge.ingest.stall import StallMonitor
from publisher.backoff import Backoff
from tests.rtsp_server import wait_until

# Sub-millisecond backoff: 10,000 failures take seconds, not the 8-10 hours they take at
# the defaults.
FAST_RETRY = ReaderOptions(reconnect_initial_s=1e-4, reconnect_max_s=2e-4, realtime_file=False)


def test_reader_survives_10000_failures_and_streams_when_the_source_returns(
    assets: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "camera.mp4"  # absent: every attempt fails at once
    frames: list[float | None] = []
    reader = StreamReader("cam/main", str(target), FAST_RETRY,
                          on_frame=lambda _f, pts: frames.append(pts))
    caplog.set_level(logging.WARNING, logger="edge.ingest.reader")
    reader.start()
    try:
        assert wait_until(lambda: reader.counters.failures >= 10_000, 120), \
            f"only {reader.counters.failures} failures"
        assert reader.state in (ReaderState.BACKOFF, ReaderState.CONNECTING)
        assert reader._thread is not None and reader._thread.is_alive()
        assert not frames
        # 10,000 failures are logged about a hundred times, not 10,000 times.
        assert len(caplog.records) < 200
        shutil.copy(assets / "video" / "vtest_480x360.mp4", target)
        assert wait_until(lambda: len(frames) >= 20, 30), "no frames after the source returned"
        assert reader.state is ReaderState.STREAMING
    finally:
        reader.stop()
        assert reader.join(5)


def test_reader_survives_an_unexpected_exception_in_a_callback(assets: Path) -> None:
    """A bug downstream (here: the session callback raises) is logged, counted and retried."""
    calls = {"n": 0}
    frames: list[float | None] = []

    def flaky_session(_stream: object) -> None:
        calls["n"] += 1
        if calls["n"] <= 3:
            raise RuntimeError("bug in a listener")

    reader = StreamReader("cam/main", str(assets / "video" / "vtest_480x360.mp4"),
                          FAST_RETRY, on_frame=lambda _f, pts: frames.append(pts),
                          on_session=flaky_session)
    reader.start()
    try:
        assert wait_until(lambda: len(frames) >= 5, 30)
        assert reader.counters.unexpected_errors == 3
        assert "RuntimeError" in reader.last_error
    finally:
        reader.stop()
        assert reader.join(5)


def test_backoff_never_overflows() -> None:
    b = Backoff(0.5, 30.0)
    delays = [b.next_delay_s() for _ in range(100_000)]
    assert max(delays) <= 30.0
    assert min(delays[20:]) >= 15.0  # at the cap, jitter takes at most half of it


class _Counting:
    def __init__(self) -> None:
        self.calls = 0

    def check_stalled(self, now_mono_s: float) -> bool:
        self.calls += 1
        return False


def test_stall_monitor_stops_with_its_last_reader_and_restarts() -> None:
    mon = StallMonitor(period_s=0.01)
    r = _Counting()
    mon.add(r)
    assert wait_until(lambda: r.calls >= 3, 5)
    mon.discard(r)
    assert wait_until(lambda: not mon.running, 5)
    r2 = _Counting()
    mon.add(r2)
    assert wait_until(lambda: r2.calls >= 3, 5)
    mon.stop()
    assert not mon.running


def test_stall_check_and_reader_thread_do_not_race(assets: Path) -> None:
    """check_stalled on the monitor's thread while the reader's own thread fails and
    retries: the generation and thread bookkeeping stay consistent (one live session)."""
    reader = StreamReader("cam/main", "/nonexistent/file.mp4", FAST_RETRY)
    reader.start()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            # Pretend the session streams but is silent: forces the stall path.
            with reader._lock:
                reader.state = ReaderState.STREAMING
                reader.last_packet_mono_s = time.monotonic() - 100
            reader.check_stalled(time.monotonic())

    t = threading.Thread(target=hammer, daemon=True)
    t.start()
    time.sleep(1.0)
    stop.set()
    t.join(5)
    reader.stop()
    assert reader.join(5)
    alive = [th for th in reader._left_behind if th.is_alive()]
    assert len(alive) <= 3
