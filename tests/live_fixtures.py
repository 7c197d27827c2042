"""Pytest fixtures for live tests: camera-like media, a real RTSP server, a silent socket.

Imported by tests/runtime, tests/ingest and tests/health conftests. Media are made with
ffmpeg from ../shared/assets and cached (tests/rtsp_server.py: media_cache_dir()).
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rtsp_server import SYSTEM_PYTHON, RtspServer, corrupt, prepare

# Run in the system python: what the RTSP server needs, as "what|Debian package" lines.
_GST_PROBE = """
import sys
def need(what, package):
    print(f"{what}|{package}")
try:
    import gi
except ImportError:
    need("python module gi", "python3-gi"); sys.exit()
for ns, package in (("Gst", "gir1.2-gstreamer-1.0 python3-gst-1.0"),
                    ("GstRtsp", "gir1.2-gst-plugins-base-1.0"),
                    ("GstRtspServer", "gir1.2-gst-rtsp-server-1.0")):
    try:
        gi.require_version(ns, "1.0")
        __import__("gi.repository." + ns)
    except (ValueError, ImportError):
        need("GObject introspection for " + ns, package)
        if ns == "Gst":
            sys.exit()
from gi.repository import Gst
Gst.init(None)
for element, package in (("filesrc", "libgstreamer1.0-0"),
                         ("qtdemux", "gstreamer1.0-plugins-good"),
                         ("rtph264pay", "gstreamer1.0-plugins-good"),
                         ("rtph265pay", "gstreamer1.0-plugins-good"),
                         ("h264parse", "gstreamer1.0-plugins-bad"),
                         ("h265parse", "gstreamer1.0-plugins-bad")):
    if Gst.ElementFactory.find(element) is None:
        need("GStreamer element " + element, package)
"""


@functools.cache
def missing_live_prerequisites() -> list[tuple[str, str]]:
    """What the live tests need and this machine lacks: (what, Debian package) pairs."""
    missing = [(f"{tool} executable", "ffmpeg") for tool in ("ffmpeg", "ffprobe")
               if shutil.which(tool) is None]
    if not missing:
        encoders = subprocess.run(["ffmpeg", "-hide_banner", "-encoders"], capture_output=True,
                                  text=True, timeout=30).stdout
        # Debian's ffmpeg has both; a minimal build may lack them.
        missing += [(f"ffmpeg encoder {enc}", "ffmpeg") for enc in ("libx264", "libx265")
                    if f" {enc} " not in encoders]
    if not Path(SYSTEM_PYTHON).exists():
        return [*missing, (f"system python {SYSTEM_PYTHON}", "python3")]
    try:
        probe = subprocess.run([SYSTEM_PYTHON, "-c", _GST_PROBE], capture_output=True,
                               text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as e:
        return [*missing, (f"GStreamer probe in {SYSTEM_PYTHON} ({e})", "python3-gi")]
    for line in probe.stdout.splitlines():
        what, _, package = line.partition("|")
        missing.append((what, package))
    return missing


def require_live_prerequisites() -> None:
    """Fails (never skips) when ffmpeg or the GStreamer RTSP server is missing: a CI run
    without them would otherwise pass with the live tests left out. (A function, not a
    fixture: the conftests that import the live fixtures by name need not know it.)"""
    missing = missing_live_prerequisites()
    if missing:
        packages = sorted({pkg for _, pkgs in missing for pkg in pkgs.split()})
        lines = "\n".join(f"  - {what}: Debian package {package}" for what, package in missing)
        pytest.fail(
            f"live tests need ffmpeg and GStreamer's RTSP server for {SYSTEM_PYTHON}; "
            f"missing:\n{lines}\ninstall with: sudo apt-get install {' '.join(packages)} "
            "(.ci/run installs them)",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def live_media(assets: Path) -> dict[str, Path]:
    """Camera-like H.264 files: key frame every second, no B-frames, minutes long."""
    require_live_prerequisites()
    video = assets / "video"
    vtest = prepare(video / "vtest_480x360.mp4", "vtest", loops=7)
    return {
        "vtest": vtest,
        "onebyone": prepare(video / "one-by-one-person-detection.mp4", "onebyone", loops=3),
        "worker": prepare(video / "worker-zone-detection.gif", "worker", fps=15, gop=15,
                          loops=120),
        # 3 s of scene, then the same picture for two minutes (a hung encoder).
        "frozen": prepare(video / "vtest_480x360.mp4", "frozen",
                          vf="trim=duration=3,tpad=stop_mode=clone:stop_duration=120"),
        "corrupt": corrupt(vtest, "vtest", every_bytes=15_000),
    }


@pytest.fixture(scope="session")
def hevc_media(assets: Path) -> Path:
    """A camera-like H.265 file (hvc1, key frame every second, no B-frames), 640x360 so that
    its size cannot be mistaken for the 480x360 source's, about two minutes long."""
    require_live_prerequisites()
    return prepare(assets / "video" / "vtest_480x360.mp4", "vtest-hevc", vf="scale=640:360",
                   duration_s=20, loops=6, codec="h265")


@pytest.fixture(scope="session")
def rtsp(live_media: dict[str, Path]) -> Iterator[RtspServer]:
    """One server for the session with a mount per medium (do not stop it in a test)."""
    server = RtspServer(live_media)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def own_rtsp(live_media: dict[str, Path]) -> Iterator[RtspServer]:
    """A server a test may stop and restart (same port)."""
    server = RtspServer({"cam": live_media["vtest"]})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def silent_url() -> Iterator[str]:
    """rtsp:// URL of a socket that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"rtsp://127.0.0.1:{sock.getsockname()[1]}/never"
    finally:
        sock.close()


@pytest.fixture()
def refused_url() -> str:
    """rtsp:// URL of a port where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"rtsp://127.0.0.1:{port}/nothing"


class StallingProxy:
    """TCP proxy in front of the RTSP server that can go silent without closing: what a
    camera behind a dead switch port or a hung encoder looks like to the reader."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.stalled = threading.Event()
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._closed = threading.Event()
        self._conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self._conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, downstream: bool) -> None:
        try:
            while data := src.recv(65536):
                if downstream and self.stalled.is_set():
                    continue  # swallowed: the connection stays open and says nothing
                dst.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        self._closed.set()
        for s in [self._sock, *self._conns]:
            with contextlib.suppress(OSError):
                s.close()


class TrickleProxy(StallingProxy):
    """When stalled, video (RTP) stops but the session stays alive: RTSP replies pass and an
    RTCP sender report arrives every second (a hung encoder behind a live RTSP stack). The
    socket never goes quiet, so FFmpeg's idle timeout never fires."""

    def _pump(self, src: socket.socket, dst: socket.socket, downstream: bool) -> None:
        if not downstream:
            super()._pump(src, dst, downstream)
            return
        lock = threading.Lock()
        threading.Thread(target=self._rtcp, args=(dst, lock), daemon=True).start()
        buf = b""
        try:
            while data := src.recv(65536):
                buf += data
                while (n := _message_len(buf)) and len(buf) >= n:
                    msg, buf = buf[:n], buf[n:]
                    if self.stalled.is_set() and msg[:1] == b"$" and msg[1] % 2 == 0:
                        continue  # an RTP packet (even channel): dropped
                    with lock:
                        dst.sendall(msg)
        except OSError:
            pass

    def _rtcp(self, dst: socket.socket, lock: threading.Lock) -> None:
        report = struct.pack("!BBHI", 0x80, 200, 6, 0x1234) + bytes(20)  # RTCP SR
        while not self._closed.wait(1.0):
            if self.stalled.is_set():
                with lock:
                    try:
                        dst.sendall(b"$\x01" + struct.pack("!H", len(report)) + report)
                    except OSError:
                        return


def _message_len(buf: bytes) -> int:
    """Length of the first interleaved frame or RTSP message in `buf` (0: not complete)."""
    if buf[:1] == b"$":
        return 4 + struct.unpack("!H", buf[2:4])[0] if len(buf) >= 4 else 0
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return 0
    length = 0
    for line in buf[:end].decode(errors="replace").lower().split("\r\n"):
        if line.startswith("content-length:"):
            length = int(line.split(":", 1)[1])
    return end + 4 + length


@pytest.fixture()
def trickle_proxy(rtsp: RtspServer) -> Iterator[TrickleProxy]:
    proxy = TrickleProxy(rtsp.port)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture()
def stalling_proxy(rtsp: RtspServer) -> Iterator[StallingProxy]:
    proxy = StallingProxy(rtsp.port)
    try:
        yield proxy
    finally:
        proxy.close()
