#!/usr/bin/python3
"""A real RTSP server for tests and benchmarks: GStreamer's gst-rtsp-server on loopback.

Run with the SYSTEM python (Debian's python3-gi / python3-gst-1.0 /
gir1.2-gst-rtsp-server-1.0), not the project's virtual environment:

    /usr/bin/python3 tests/rtsp_server.py --port 8554 cam1=/tmp/a.mp4 cam2=/tmp/b.mp4

Each `name=path` serves an H.264 MP4 at rtsp://127.0.0.1:PORT/name, paced in real time,
without re-encoding (demux → parse → RTP payload). Files are expected to be prepared as
an IP camera would send them: frequent key frames, no B-frames, and long enough for the
test (prepare() below loops the short asset clips with ffmpeg; a stream that ends is seen
by clients as a camera that stopped, which they must survive). Prints `READY <port>` on
stdout once it listens; exits on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SYSTEM_PYTHON = "/usr/bin/python3"

PIPELINE = (
    "( filesrc location={path} ! qtdemux ! h264parse config-interval=-1 "
    "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("mounts", nargs="+", help="name=path.mp4")
    args = ap.parse_args(argv)

    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    class CameraFactory(GstRtspServer.RTSPMediaFactory):
        """One shared pipeline per mount: every client sees the same live picture."""

        def __init__(self, path: str) -> None:
            super().__init__()
            self.set_launch(PIPELINE.format(path=path))
            self.set_shared(True)
            # Keep playing when the last client leaves, so a reconnecting client finds the
            # stream running, as with a real camera.
            self.set_suspend_mode(GstRtspServer.RTSPSuspendMode.NONE)
            self.set_eos_shutdown(False)

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for spec in args.mounts:
        name, _, path = spec.partition("=")
        if not name or not path:
            print(f"bad mount {spec!r}: expected name=path", file=sys.stderr)
            return 2
        mounts.add_factory(f"/{name}", CameraFactory(path))
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, loop.quit)
    parent = os.getppid()

    def orphaned() -> bool:
        # The test process died without stopping us: do not linger on the box.
        if os.getppid() != parent:
            loop.quit()
            return False
        return True

    GLib.timeout_add_seconds(1, orphaned)
    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# ---------------------------------------------------------------- test-side controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RtspServer:
    """Starts tests/rtsp_server.py in the system python; stop()/start() keep the same port."""

    def __init__(self, mounts: dict[str, Path], port: int | None = None) -> None:
        self.mounts = dict(mounts)
        self.port = port or free_port()
        self._proc: subprocess.Popen[str] | None = None

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def start(self, timeout_s: float = 15.0) -> None:
        args = [SYSTEM_PYTHON, str(Path(__file__).resolve()), "--port", str(self.port)]
        args += [f"{n}={p}" for n, p in self.mounts.items()]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
        self._proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        line = _read_line(self._proc, timeout_s)
        if not line.startswith("READY"):
            dead = self._proc.poll() is not None and self._proc.stderr is not None
            err = self._proc.stderr.read() if dead and self._proc.stderr else ""
            self.stop()
            raise RuntimeError(f"RTSP server did not start: {line!r} {err}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        for f in (proc.stdout, proc.stderr):
            if f:
                f.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()


def _read_line(proc: subprocess.Popen[str], timeout_s: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if sel.select(timeout_s):
            return proc.stdout.readline().strip()
        return ""
    finally:
        sel.close()


# ---------------------------------------------------------------- media preparation


def media_cache_dir() -> Path:
    default = Path(tempfile.gettempdir()) / "sitewarden-media"
    d = Path(os.environ.get("SITEWARDEN_MEDIA_CACHE", default))
    d.mkdir(parents=True, exist_ok=True)
    return d


def prepare(
    source: Path,
    name: str,
    *,
    vf: str = "",
    fps: float | None = None,
    gop: int = 10,
    loops: int = 0,
    duration_s: float | None = None,
    extra: tuple[str, ...] = (),
) -> Path:
    """Transcode `source` to a camera-like H.264 MP4 (key frame every `gop`, no B-frames).

    `loops` repeats the clip that many extra times (copying, so it is cheap); results are
    cached by their recipe, so a test run pays for each transcode once.
    """
    recipe = f"{source}|{source.stat().st_mtime_ns}|{vf}|{fps}|{gop}|{loops}|{duration_s}|{extra}"
    key = hashlib.sha1(recipe.encode()).hexdigest()[:12]
    out = media_cache_dir() / f"{name}-{key}.mp4"
    if out.exists():
        return out
    once = out.with_suffix(".once.mp4")
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(source)]
    filters = [f for f in (vf, f"fps={fps}" if fps else "") if f]
    if filters:
        cmd += ["-vf", ",".join(filters)]
    if duration_s:
        cmd += ["-t", str(duration_s)]
    cmd += ["-an", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-bf", "0",
            "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0", *extra, str(once)]
    subprocess.run(cmd, check=True)
    if loops:
        tmp = out.with_suffix(".loop.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(once),
                        "-c", "copy", str(tmp)], check=True)
        once.unlink()
        tmp.rename(out)
    else:
        once.rename(out)
    return out


def corrupt(source: Path, name: str, *, every_bytes: int = 20_000, seed: int = 7) -> Path:
    """A copy of an MP4 with bytes of its media data overwritten (damaged H.264 slices)."""
    out = media_cache_dir() / f"{name}-corrupt2-{every_bytes}-{seed}-{source.stem}.mp4"
    if out.exists():
        return out
    data = bytearray(source.read_bytes())
    # The sample tables live at the end (no faststart), so the first 95 % is media data;
    # skip the first ~100 kB so the client gets a picture before the damage starts.
    start, stop = 100_000, int(len(data) * 0.95)
    state = seed
    for pos in range(start, stop, every_bytes):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        for k in range(16):
            data[pos + k] = (state >> (k % 24)) & 0xFF
    out.write_bytes(bytes(data))
    return out


def wait_until(pred: Any, timeout_s: float, interval_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(interval_s)
    return bool(pred())
