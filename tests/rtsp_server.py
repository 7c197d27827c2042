#!/usr/bin/python3
"""A real RTSP server for tests and benchmarks: GStreamer's gst-rtsp-server on loopback.

Run with the SYSTEM python (Debian's python3-gi / python3-gst-1.0 /
gir1.2-gst-rtsp-server-1.0), not the project's virtual environment:

    /usr/bin/python3 tests/rtsp_server.py --port 8554 cam1=/tmp/a.mp4 cam2=h265:/tmp/b.mp4
    /usr/bin/python3 tests/rtsp_server.py --user admin:secret --auth digest cam=/tmp/a.mp4

Each `name=path` serves an H.264 MP4 at rtsp://127.0.0.1:PORT/name (`name=h265:path`: an
H.265 one), paced in real time, without re-encoding (demux → parse → RTP payload). Files are
expected to be prepared as an IP camera would send them: frequent key frames, no B-frames,
and long enough for the test (prepare() below loops the short asset clips with ffmpeg; a
stream that ends is seen by clients as a camera that stopped, which they must survive).
With --user, every mount requires those credentials (RTSP 401 otherwise), by Basic or Digest
authentication (--auth; one method per server: GStreamer's Python binding cannot combine
the two flags). Prints `READY <port>` on stdout once it listens; exits on SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from functools import cache
from pathlib import Path
from typing import Any

SYSTEM_PYTHON = "/usr/bin/python3"

# Demux → parse (parameter sets repeated before every key frame, so a client that joins
# mid-stream can decode) → RTP payload, per codec. PIPELINE is the H.264 one (older callers).
PIPELINES = {
    "h264": "( filesrc location={path} ! qtdemux ! h264parse config-interval=-1 "
            "! rtph264pay name=pay0 pt=96 config-interval=-1 )",
    "h265": "( filesrc location={path} ! qtdemux ! h265parse config-interval=-1 "
            "! rtph265pay name=pay0 pt=96 config-interval=-1 )",
}
PIPELINE = PIPELINES["h264"]
AUTH_METHODS = ("basic", "digest")
ROLE = "camera-user"  # the role the one configured user gets, and the mounts allow


def parse_mount(spec: str) -> tuple[str, str, str]:
    """`name=path` or `name=CODEC:path` → (name, codec, path); ValueError when malformed."""
    name, _, value = spec.partition("=")
    codec, sep, rest = value.partition(":")
    if sep and codec in PIPELINES:
        value = rest
    else:
        codec = "h264"
    if not name or not value:
        raise ValueError(f"bad mount {spec!r}: expected name=path or name=CODEC:path")
    return name, codec, value


def _parse_args(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0, help="0: pick a free port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--user", help="USER:PASSWORD required for every mount")
    ap.add_argument("--auth", choices=AUTH_METHODS, default="basic",
                    help="authentication method offered with --user")
    ap.add_argument("mounts", nargs="+", help="name=path.mp4 or name=h265:path.mp4")
    args = ap.parse_args(argv)
    try:
        args.mounts = [parse_mount(spec) for spec in args.mounts]
    except ValueError as e:
        ap.error(str(e))
    if args.user is not None and ":" not in args.user:
        ap.error("--user expects USER:PASSWORD")
    return args


def main(argv: list[str]) -> int:
    args = _parse_args(argv)

    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    permissions = None
    if args.user is not None:
        user, _, password = args.user.partition(":")
        server.set_auth(_make_auth(user, password, args.auth))
        permissions = GstRtspServer.RTSPPermissions()
        # Without both, an authenticated user still gets 401 (access) or 503 (construct).
        permissions.add_permission_for_role(ROLE, "media.factory.access", True)
        permissions.add_permission_for_role(ROLE, "media.factory.construct", True)
    points = server.get_mount_points()
    for name, codec, path in args.mounts:
        points.add_factory(f"/{name}", _camera_factory(path, codec, permissions))
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


def _camera_factory(path: str, codec: str, permissions: Any) -> Any:
    """One shared pipeline per mount: every client sees the same live picture."""
    from gi.repository import GstRtspServer

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(PIPELINES[codec].format(path=path))
    factory.set_shared(True)
    # Keep playing when the last client leaves, so a reconnecting client finds the stream
    # running, as with a real camera.
    factory.set_suspend_mode(GstRtspServer.RTSPSuspendMode.NONE)
    factory.set_eos_shutdown(False)
    if permissions is not None:
        factory.set_permissions(permissions)
    return factory


def _make_auth(user: str, password: str, method: str) -> Any:
    """An RTSPAuth that knows one user and offers one method (as cameras do: most answer
    401 with either Basic or Digest)."""
    import gi

    gi.require_version("GstRtsp", "1.0")
    from gi.repository import GstRtsp, GstRtspServer

    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string("media.factory.role", ROLE)
    if method == "digest":
        auth.add_digest(user, password, token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    else:
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
    return auth


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


# ---------------------------------------------------------------- test-side controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RtspServer:
    """Starts tests/rtsp_server.py in the system python; stop()/start() keep the same port.

    Each mount's codec (H.264 or H.265) is read from its file. With `credentials`
    (user, password) every mount requires them, by `auth` ("basic" or "digest"); change
    `credentials` and restart() to model a camera whose password was changed.
    """

    def __init__(
        self,
        mounts: dict[str, Path],
        port: int | None = None,
        *,
        credentials: tuple[str, str] | None = None,
        auth: str = "basic",
    ) -> None:
        if auth not in AUTH_METHODS:
            raise ValueError(f"auth must be one of {AUTH_METHODS}, got {auth!r}")
        self.mounts = dict(mounts)
        self.port = port or free_port()
        self.credentials = credentials
        self.auth = auth
        self._proc: subprocess.Popen[str] | None = None

    def url(self, name: str, credentials: tuple[str, str] | None = None) -> str:
        """The mount's URL; with `credentials`, carrying them (percent-encoded) as
        rtsp://user:password@host:port/name, the form cameras are configured with."""
        auth = ""
        if credentials is not None:
            user, password = (urllib.parse.quote(c, safe="") for c in credentials)
            auth = f"{user}:{password}@"
        return f"rtsp://{auth}127.0.0.1:{self.port}/{name}"

    def start(self, timeout_s: float = 15.0) -> None:
        args = [SYSTEM_PYTHON, str(Path(__file__).resolve()), "--port", str(self.port)]
        if self.credentials is not None:
            args += ["--user", ":".join(self.credentials), "--auth", self.auth]
        args += [f"{n}={video_codec(Path(p))}:{p}" for n, p in self.mounts.items()]
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


def _encoder_args(codec: str, gop: int) -> list[str]:
    """Camera-like encoding: a key frame every `gop` frames and never elsewhere (no scene
    cuts), no B-frames (cameras send frames in display order)."""
    if codec == "h264":
        return ["-c:v", "libx264", "-preset", "veryfast", "-bf", "0", "-g", str(gop),
                "-keyint_min", str(gop), "-sc_threshold", "0"]
    if codec == "h265":
        params = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0:log-level=error"
        # hvc1: parameter sets in the sample description, the tag Apple players need and
        # most NVR exports use.
        return ["-c:v", "libx265", "-preset", "ultrafast", "-x265-params", params,
                "-tag:v", "hvc1"]
    raise ValueError(f"codec must be one of {tuple(PIPELINES)}, got {codec!r}")


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
    codec: str = "h264",
) -> Path:
    """Transcode `source` to a camera-like H.264 or H.265 MP4 (key frame every `gop`, no
    B-frames).

    `loops` repeats the clip that many extra times (copying, so it is cheap); results are
    cached by their recipe, so a test run pays for each transcode once.
    """
    encoder = _encoder_args(codec, gop)
    recipe = f"{source}|{source.stat().st_mtime_ns}|{vf}|{fps}|{gop}|{loops}|{duration_s}|{extra}"
    if codec != "h264":  # H.264 recipes keep their old keys (and cached files)
        recipe += f"|{codec}"
    key = hashlib.sha1(recipe.encode()).hexdigest()[:12]
    out = media_cache_dir() / f"{name}-{key}.mp4"
    if out.exists():
        return out
    # Test workers (pytest-xdist) and benchmarks share the cache: one transcodes, the
    # others wait for its file.
    with open(out.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            _transcode(source, out, encoder, vf, fps, loops, duration_s, extra)
    return out


def _transcode(source: Path, out: Path, encoder: list[str], vf: str, fps: float | None,
               loops: int, duration_s: float | None, extra: tuple[str, ...]) -> None:
    once = out.with_suffix(".once.mp4")
    cmd = ["ffmpeg", "-v", "error", "-y", "-i", str(source)]
    filters = [f for f in (vf, f"fps={fps}" if fps else "") if f]
    if filters:
        cmd += ["-vf", ",".join(filters)]
    if duration_s:
        cmd += ["-t", str(duration_s)]
    cmd += ["-an", *encoder, "-pix_fmt", "yuv420p", *extra, str(once)]
    subprocess.run(cmd, check=True)
    if loops:
        tmp = out.with_suffix(".loop.mp4")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-stream_loop", str(loops), "-i", str(once),
                        "-c", "copy", str(tmp)], check=True)
        once.unlink()
        tmp.rename(out)
    else:
        once.rename(out)


@cache
def _probe_codec(path: Path, mtime_ns: int) -> str:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name", "-of", "default=noprint_wrappers=1:nokey=1", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    codec = {"h264": "h264", "hevc": "h265"}.get(out)
    if codec is None:
        raise ValueError(f"{path}: video codec {out!r}; the RTSP server serves H.264 or H.265")
    return codec


def video_codec(path: Path) -> str:
    """"h264" or "h265": which pipeline serves `path` (ffprobe, cached per file version)."""
    return _probe_codec(path, path.stat().st_mtime_ns)


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
