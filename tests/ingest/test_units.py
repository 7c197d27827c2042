"""Sampling, clock mapping and the latest-frame slot (no I/O)."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np
import pytest

from edge.core.frames import Frame
from edge.core.sampler import FrameSampler
from edge.ingest import LatestFrameSlot
from edge.ingest.clock import StreamClock


@pytest.mark.parametrize(("stream_fps", "analysis_fps"), [(25, 5), (10, 5), (30, 1), (5, 5)])
def test_sampler_takes_frames_at_analysis_rate_by_timestamp(
    stream_fps: float, analysis_fps: float
) -> None:
    s = FrameSampler(analysis_fps)
    times = [i / stream_fps for i in range(int(stream_fps * 20))]
    taken = [t for t in times if s.due(t)]
    assert len(taken) == pytest.approx(20 * analysis_fps, abs=1)
    gaps = np.diff(taken)
    assert gaps.min() >= 1 / analysis_fps - 1 / stream_fps - 1e-9


def test_sampler_does_not_burst_after_a_gap() -> None:
    s = FrameSampler(5)
    assert s.due(0.0)
    assert s.due(10.0)  # 10 s gap: one frame, then back to 5 fps
    assert not s.due(10.04)
    assert s.due(10.2)


def test_clock_maps_stream_time_and_resyncs_on_jumps() -> None:
    now = [1000.0]
    c = StreamClock(resync_s=2.0, wall=lambda: now[0], start_wall_s=1000.0)
    assert c.map(50.0) == (0.0, 1000.0)
    now[0] = 1000.5
    src, wall = c.map(50.4)  # arrived 0.1 s late: keeps stream spacing
    assert wall == pytest.approx(1000.4)
    assert src == pytest.approx(0.4)
    now[0] = 1001.0
    _, wall = c.map(51.2)  # would be in the future (early burst): pulled to now
    assert wall == pytest.approx(1001.0)
    now[0] = 1010.0
    _, wall = c.map(52.0)  # stalled for 9 s then resumed: re-anchored
    assert wall == pytest.approx(1010.0)
    assert c.resyncs == 1
    c.new_session()
    now[0] = 1011.0
    src, wall = c.map(0.0)  # a new session restarts timestamps at 0
    assert (src, wall) == (pytest.approx(11.0), pytest.approx(1011.0))


def test_clock_is_strictly_increasing() -> None:
    now = [0.0]
    c = StreamClock(wall=lambda: now[0], start_wall_s=0.0)
    walls = []
    for pts in (5.0, 5.0, 4.9, 5.1):
        now[0] += 0.01
        walls.append(c.map(pts)[1])
    assert all(b > a for a, b in itertools.pairwise(walls))


def _frame(seq: int) -> Frame:
    return Frame("c", seq, np.zeros((2, 2, 3), np.uint8), seq, seq, seq, (2, 2))


def test_slot_keeps_only_the_newest_and_counts_drops() -> None:
    notified: list[int] = []
    slot = LatestFrameSlot(on_put=lambda: notified.append(1))
    assert slot.take() is None
    for i in range(5):
        slot.put(_frame(i))
    frame = slot.take()
    assert frame is not None and frame.seq == 4
    assert slot.drops == 4 and slot.puts == 5 and len(notified) == 5
    assert slot.take() is None
    slot.put(_frame(9))
    assert slot.drops == 4


def test_sampler_waits_for_a_busy_consumer_and_counts_missed_slots() -> None:
    s = FrameSampler(5)  # grid every 0.2 s
    frames = [i / 25 for i in range(50)]  # 25 fps for 2 s
    busy_until = 0.5
    taken = [t for t in frames if s.poll(t, consumer_ready=t >= busy_until)]
    assert taken[0] == 0.0
    # Busy from 0.04 to 0.5: the 0.2 slot is missed (a drop), the 0.4 one is taken late.
    assert s.missed == 1
    assert taken[1] == pytest.approx(0.52)
    assert taken[2:5] == pytest.approx([0.6, 0.8, 1.0])


def test_sampler_phase_staggers_cameras() -> None:
    a, b = FrameSampler(5, phase_frac=0.0), FrameSampler(5, phase_frac=0.5)
    times = [i / 20 for i in range(1, 40)]
    ta = [t for t in times if a.due(t)][1:]
    tb = [t for t in times if b.due(t)][1:]
    assert ta[:3] == pytest.approx([0.2, 0.4, 0.6])
    assert tb[:3] == pytest.approx([0.1, 0.3, 0.5])


@pytest.mark.parametrize(
    ("resolution_wh", "fit_wh", "max_width_px", "expected_wh"),
    [
        ((1920, 1080), (416, 416), 960, (416, 234)),  # detector's letterbox size
        ((1080, 1920), (416, 416), 960, (234, 416)),  # portrait: height binds
        ((640, 360), (640, 640), 960, (640, 360)),  # never upscaled
        ((320, 240), (416, 416), 960, (320, 240)),
        ((1920, 1080), (1280, 1280), 960, (960, 540)),  # max_width_px caps a big input
        ((1920, 1080), None, 960, (960, 540)),  # no detector info: the cap alone
        ((2560, 1440), (640, 384), 4096, (640, 360)),  # rectangular input
    ],
)
def test_analysis_size_fits_the_detector_input(
    resolution_wh: tuple[int, int], fit_wh: tuple[int, int] | None, max_width_px: int,
    expected_wh: tuple[int, int],
) -> None:
    from edge.core.frames import analysis_size_wh

    assert analysis_size_wh(resolution_wh, fit_wh, max_width_px) == expected_wh


def test_evidence_picture_comes_from_the_decoded_frame_not_the_analysis_copy() -> None:
    import av

    rng = np.random.default_rng(1)
    full = rng.integers(0, 255, (1080, 1920, 3), dtype=np.uint8)
    decoded = av.VideoFrame.from_ndarray(full, format="bgr24").reformat(format="yuv420p")
    small = np.zeros((234, 416, 3), np.uint8)

    def frame(max_w: int) -> Frame:
        return Frame("c", 1, small, 0.0, 0.0, 0.0, (1920, 1080), decoded=decoded,
                     evidence_max_width_px=max_w)

    assert frame(960).evidence_bgr().shape == (540, 960, 3)
    assert frame(1920).evidence_bgr().shape == (1080, 1920, 3)
    # Frames built from arrays (no decoder frame) fall back to the analysis picture.
    bare = Frame("c", 1, small, 0.0, 0.0, 0.0, (1920, 1080))
    assert bare.evidence_bgr() is small


@pytest.mark.parametrize(("text", "expected"), [
    ("Connection refused: 'rtsp://admin:S3cret@10.0.0.2:554/main'",
     "Connection refused: 'rtsp://admin:***@10.0.0.2:554/main'"),
    ("rtsp://u:p%40ss@h/a and rtsp://v:x@h/b", "rtsp://u:***@h/a and rtsp://v:***@h/b"),
    ("rtsp://10.0.0.2/main", "rtsp://10.0.0.2/main"),  # nothing to hide
    ("rtsp://user@10.0.0.2/main", "rtsp://user@10.0.0.2/main"),
    ("/videos/cam:1@night.mp4", "/videos/cam:1@night.mp4"),  # a path, not a URL
])
def test_credentials_are_redacted_from_error_texts(text: str, expected: str) -> None:
    from edge.ingest.reader import redact

    assert redact(text) == expected


def test_the_grey_copy_comes_from_the_luma_plane_without_a_colour_conversion(
    assets: Path,
) -> None:
    """The motion gate and the tamper checks look at luma; a frame the gate skips is never
    converted to colour (the conversion is the ingest's largest per-frame cost)."""
    from edge.core.frames import analysis_frame
    from edge.health import small_grey

    with av.open(str(assets / "video" / "vtest_480x360.mp4")) as c:
        decoded = [f for _, f in zip(range(20), c.decode(video=0), strict=False)][-1]
    frame = analysis_frame(decoded, "c", 1, 0.0, 0.0, (416, 416), 960)
    grey = frame.grey()
    assert "image_bgr" not in frame.__dict__  # no colour conversion happened
    assert frame.analysis_wh == (416, 312)
    via_bgr = small_grey(np.asarray(decoded.to_ndarray(format="bgr24"), dtype=np.uint8))
    assert grey.shape == via_bgr.shape
    # luma is not the grey of the BGR picture exactly (colours weigh in): within 2 %
    assert float(np.abs(grey.astype(int) - via_bgr.astype(int)).mean()) < 5.0
    assert frame.image_bgr.shape == (312, 416, 3)  # converted on first use
