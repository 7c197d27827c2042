"""Ingest from cameras that require credentials, and from H.265 cameras (real GStreamer RTSP
server on loopback). Most IP cameras and NVRs require a password and many send H.265."""

from __future__ import annotations

import itertools
import logging
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from edge.config import load_config
from edge.evidence.remux import StreamTemplate, write_mp4
from edge.evidence.types import PacketRecord
from edge.ingest import CameraSource, ReaderOptions, ReaderState, StreamReader
from edge.ingest.camera import IngestSettings
from tests.rtsp_server import RtspServer, wait_until

FAST = ReaderOptions(open_timeout_s=1.5, read_timeout_s=1.5, watchdog_s=3.0,
                     reconnect_initial_s=0.2, reconnect_max_s=1.0)
USER = "operator"
# Characters that must be percent-encoded in a URL: the reader must hand them on intact.
PASSWORD = "Pa55:w@rd/#1"
WRONG = "Wr0ngPa55word"
HEVC_WH = (640, 360)  # tests/live_fixtures.py: hevc_media

StateLog = list[tuple[ReaderState, str]]


def _streaming_reader(url: str, states: StateLog) -> StreamReader:
    r = StreamReader("cam", url, FAST, on_frame=lambda f, t: None,
                     on_state=lambda s, d: states.append((s, d)))
    r.start()
    return r


def _stop(r: StreamReader | CameraSource) -> None:
    r.stop()
    assert r.join(5)


def _leaks(secret: str, reader: StreamReader, states: StateLog,
           caplog: pytest.LogCaptureFixture) -> list[str]:
    """Where `secret` shows in clear (as typed or percent-encoded, as in the URL): the
    reader's last_error, its state details, the log."""
    forms = {secret, urllib.parse.quote(secret, safe="")}

    def shows(text: str) -> bool:
        return any(f in text for f in forms)

    where = []
    if shows(reader.last_error):
        where.append(f"reader.last_error = {reader.last_error!r}")
    where += [f"state {s.value} detail = {d!r}" for s, d in states if shows(d)]
    where += [f"log {r.name} {r.levelname}: {r.getMessage()!r}" for r in caplog.records
              if shows(r.getMessage())]
    return where


@pytest.fixture(params=["basic", "digest"])
def auth_rtsp(request: pytest.FixtureRequest, live_media: dict[str, Path]) -> Iterator[RtspServer]:
    """A camera that answers 401 unless given USER/PASSWORD (Basic or Digest)."""
    server = RtspServer({"cam": live_media["vtest"]}, credentials=(USER, PASSWORD),
                        auth=request.param)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def hevc_rtsp(hevc_media: Path) -> Iterator[RtspServer]:
    with RtspServer({"hevc": hevc_media}) as server:
        yield server


def test_reader_streams_with_the_credentials_in_the_url(
    auth_rtsp: RtspServer, caplog: pytest.LogCaptureFixture,
) -> None:
    # The server really requires them: without, a 401.
    bare_states: StateLog = []
    bare = _streaming_reader(auth_rtsp.url("cam"), bare_states)
    try:
        assert wait_until(lambda: bare.counters.failures >= 1, 10), bare.state
        assert "401" in bare.last_error, bare.last_error
    finally:
        _stop(bare)
    states: StateLog = []
    with caplog.at_level(logging.DEBUG):
        r = _streaming_reader(auth_rtsp.url("cam", (USER, PASSWORD)), states)
        try:
            assert wait_until(lambda: r.counters.frames >= 20, 15), r.last_error
            assert r.state is ReaderState.STREAMING
        finally:
            _stop(r)
    assert r.counters.failures == 0 and r.last_error == ""
    assert r.stream_info == {"codec": "h264", "resolution_wh": (480, 360)}
    assert _leaks(PASSWORD, r, states, caplog) == []


def test_site_file_camera_url_takes_the_password_from_the_environment(
    live_media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The README's form: rtsp://user:${CAM_PASS}@host/path with CAM_PASS in the
    environment, never in the file."""
    secret = "Kx7-site_pass.2024"  # a URL-safe password, as written into the URL unencoded
    with RtspServer({"cam": live_media["vtest"]}, credentials=(USER, secret)) as server:
        site = tmp_path / "site.yaml"
        site.write_text(
            "site_id: plant-7\nbox_id: edge-01\ndetector: {model: m.onnx}\ncameras:\n"
            f"  - id: gate\n    url: rtsp://{USER}:${{CAM_PASS}}@127.0.0.1:{server.port}/cam\n"
            "    analysis_fps: 5\n")
        monkeypatch.setenv("CAM_PASS", secret)
        cam_cfg = load_config(site).cameras[0]
        assert cam_cfg.url == server.url("cam", (USER, secret))
        assert secret not in site.read_text()
        cam = CameraSource(cam_cfg.id, cam_cfg.url, cam_cfg.substream_url,
                           settings=IngestSettings(cam_cfg.analysis_fps, reader=FAST))
        cam.start()
        try:
            assert wait_until(lambda: cam.frames_sampled >= 5, 15), cam.detect_reader.last_error
        finally:
            _stop(cam)
    frame = cam.slot.take()
    assert frame is not None and frame.camera_id == "gate" and frame.resolution_wh == (480, 360)


def _backoff_delays(states: StateLog) -> list[float]:
    found = (re.search(r"retry in ([0-9.]+)s$", d) for s, d in states if s is ReaderState.BACKOFF)
    return [float(m.group(1)) for m in found if m]


def test_wrong_password_is_reported_and_retried_until_the_camera_accepts(
    auth_rtsp: RtspServer,
) -> None:
    states: StateLog = []
    r = _streaming_reader(auth_rtsp.url("cam", (USER, WRONG)), states)
    try:
        assert wait_until(lambda: r.counters.failures >= 3, 10), r.state
        assert r.counters.frames == 0
        assert re.search(r"401 unauthorized", r.last_error, re.IGNORECASE), r.last_error
        delays = _backoff_delays(states)
        assert len(delays) >= 3 and delays[2] > delays[0], states  # backing off, not hammering
        # The camera's password is changed to the one the box has: it streams again.
        auth_rtsp.credentials = (USER, WRONG)
        auth_rtsp.restart()
        assert wait_until(lambda: r.counters.frames >= 10, 15), r.last_error
        assert r.state is ReaderState.STREAMING
    finally:
        _stop(r)


def test_wrong_password_stays_out_of_errors_states_and_logs(
    auth_rtsp: RtspServer, caplog: pytest.LogCaptureFixture,
) -> None:
    states: StateLog = []
    with caplog.at_level(logging.DEBUG):
        r = _streaming_reader(auth_rtsp.url("cam", (USER, WRONG)), states)
        try:
            if not wait_until(lambda: r.counters.failures >= 2, 10):
                pytest.fail(f"no failed attempt: {r.state}")
        finally:
            _stop(r)
    assert _leaks(WRONG, r, states, caplog) == []


def test_right_password_stays_out_of_errors_when_the_camera_drops(
    auth_rtsp: RtspServer, caplog: pytest.LogCaptureFixture,
) -> None:
    """The worse case: the working password, in the reason of every offline camera."""
    secret = "Secr3tOnly4Cam"  # without URL-special characters: found as typed
    auth_rtsp.credentials = (USER, secret)
    auth_rtsp.restart()
    states: StateLog = []
    with caplog.at_level(logging.DEBUG):
        r = _streaming_reader(auth_rtsp.url("cam", (USER, secret)), states)
        try:
            if not wait_until(lambda: r.counters.frames >= 10, 15):
                pytest.fail(f"never streamed: {r.last_error}")
            auth_rtsp.stop()  # the camera goes away; reconnects are refused
            if not wait_until(lambda: r.counters.failures >= 2, 10):
                pytest.fail(f"drop not noticed: {r.state}")
        finally:
            _stop(r)
    assert _leaks(secret, r, states, caplog) == []


def _record(p: av.Packet, tb: float) -> PacketRecord:
    pts = p.pts if p.pts is not None else 0
    dts = p.dts if p.dts is not None else pts
    return PacketRecord(pts=pts, dts=dts, duration=p.duration or 0, keyframe=p.is_keyframe,
                        t_s=pts * tb, dts_s=dts * tb, data=bytes(p))


def _clip_from(packets: list[av.Packet], template: StreamTemplate, path: Path) -> int:
    """Stream-copy the packets from the first key frame into an MP4, as evidence clips are
    cut; returns how many went in."""
    # A session's first packet has no timestamp yet (RTCP has not synchronised it): the
    # recorder skips such packets too, so the clip starts at the next key frame.
    timed = [p for p in packets if p.pts is not None]
    first = next(i for i, p in enumerate(timed) if p.is_keyframe)
    records = [_record(p, float(template.time_base)) for p in timed[first:]]
    write_mp4(template, records, path)
    return len(records)


def test_hevc_stream_is_decoded_and_its_packets_copy_into_a_clip(
    hevc_rtsp: RtspServer, tmp_path: Path,
) -> None:
    packets: list[av.Packet] = []
    # As the evidence recorder does: the codec parameters are copied while the session's
    # container is open (its stream is gone once the reader closes it).
    sessions: list[StreamTemplate] = []
    cam = CameraSource("h", hevc_rtsp.url("hevc"), settings=IngestSettings(5, reader=FAST),
                       on_main_packet=packets.append,
                       on_main_session=lambda s: sessions.append(StreamTemplate(s)))
    cam.start()
    try:
        assert wait_until(lambda: cam.frames_sampled >= 10 and len(packets) >= 40, 20)
    finally:
        _stop(cam)
    r = cam.detect_reader
    assert r.counters.frames > 0  # one session decodes for detection and feeds the clips
    assert r.stream_info == {"codec": "hevc", "resolution_wh": HEVC_WH}
    assert r.counters.decode_errors == 0 and r.counters.failures == 0
    frame = cam.slot.take()
    assert frame is not None and frame.resolution_wh == HEVC_WH
    assert frame.image_bgr.shape == (HEVC_WH[1], HEVC_WH[0], 3)
    assert frame.image_bgr.std() > 10  # a picture, not a grey concealment frame
    # A key frame every second, as prepared: the packets are the camera's own.
    assert len(sessions) == 1 and sessions[0].codec_name == "hevc"
    tb = float(sessions[0].time_base)
    key_s = [p.pts * tb for p in packets if p.is_keyframe and p.pts is not None]
    assert len(key_s) >= 3 and all(
        abs(b - a - 1.0) < 0.05 for a, b in itertools.pairwise(key_s))
    clip = tmp_path / "clip.mp4"
    muxed = _clip_from(packets, sessions[0], clip)
    with av.open(str(clip)) as c:
        s = c.streams.video[0]
        assert (s.codec_context.name, s.codec_context.width, s.codec_context.height) == (
            "hevc", *HEVC_WH)
        decoded = sum(1 for _ in c.decode(s))
    assert decoded == muxed

