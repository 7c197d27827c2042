"""The pipeline an integrator would write by hand, set beside sitewarden on the same streams by
benchmarks/channels.py (its `peer` figures). Prints one JSON object (logs on stderr).

    pip install -e ".[peer]"    # or: pip install "supervision>=0.30,<0.31"
    python benchmarks/peer.py --kind main1080 --cameras 2 --seconds 20   # the benchmark's streams
    python benchmarks/peer.py --url rtsp://cam1/main --url rtsp://cam2/main --seconds 20

Install: supervision 0.30.x is the one line that has both `sv.ByteTrack` (deprecated since
0.28, removed in 0.31 in favour of the separate `trackers` package) and no `opencv-python`
among its requirements, so it installs beside the project's `opencv-python-headless` (the
same `cv2` package; both wheels in one environment overwrite each other's files). Beyond the
project's own dependencies it brings only defusedxml and pyDeprecate. With 0.25-0.29, which
require opencv-python, the equivalent is
`pip install --no-deps "supervision==0.29.1" defusedxml "pydeprecate>=0.9,<0.10"` (its other
requirements, numpy, scipy, matplotlib, pillow, pyyaml, requests and tqdm, are already here).

The pipeline, as found in integrators' code and in supervision's own examples:
- one process; per camera one thread with `cv2.VideoCapture(url, cv2.CAP_FFMPEG)` (RTSP over
  TCP through OPENCV_FFMPEG_CAPTURE_OPTIONS, OpenCV's default decoder threads), `grab()` on
  every frame, `retrieve()` (conversion to a full-size BGR image) on every fifth at 25 fps
  (stride = stream fps / analysis fps);
- detection inline in that thread, with sitewarden's own `models.detector.Detector` (same
  model, letterbox, decoding, score threshold and NMS: the accuracy is the same, only the
  pipeline differs). Session (`--session`): `shared` (default): ONE 1-thread onnxruntime
  session called by every camera thread without a lock. onnxruntime documents Run() as safe
  to call concurrently, so this is the common way to load the model once, and with one
  intra-op thread each call runs on its caller's core: inference spreads over the cores as
  far as the camera threads do. `locked` (the same session behind a lock) caps inference at
  one core, a straw man on any box with more cores; `per-camera` (one session per thread)
  spends the same CPU and one session's memory per camera. Both are there to check;
- `sv.ByteTrack` (frame_rate = analysis fps, its defaults otherwise) and per camera the two
  zones channels.py gives every camera, as `sv.PolygonZone`s triggered by the boxes' bottom
  centre, each with a timer (danger zone: more than max_persons inside for min_duration_s;
  duty post: fewer than min_persons for absence_s). Rules run on every analysed frame.

Drops, judged as sitewarden's sampler judges its own: stream time (the frame's pts, mapped
to this box's clock by the least-delayed frame, as sitewarden's ingest clock does) is cut
into slots of 1/analysis_fps; in each slot one frame must be analysed, reached (grabbed) no
later than one period after the camera sent it. A drop is (a) a slot that passed with no
frame analysed (frames lost on the way), or (b) a sampled frame grabbed more than one period
late: by then the next sampled frame is due, so a live pipeline would be analysing a stale
picture (an inline pipeline that cannot keep up falls further behind without losing a frame;
lateness is how its loss shows). `last_frame_age_s` is how far behind the live stream the
newest grabbed frame is; `latency_ms` (moving average) runs from the frame's send time to its
rules done.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import cv2
import numpy as np

from models.detector import Detector
from models.types import Detections

log = logging.getLogger("benchmarks.peer")

CAPTURE_OPTIONS = "rtsp_transport;tcp"
ANALYSIS_FPS = 5.0
SESSION_MODES = ("shared", "locked", "per-camera")
PHASES = ("grab", "retrieve", "detect", "track_zones")
LATENCY_EWMA = 0.1
REOPEN_S = 1.0

DetectFn = Callable[[np.ndarray], Detections]


# ---------------------------------------------------------------- time and drops (pure)


class LiveClock:
    """When the camera sent each frame, on this box's clock: wall = pts + offset, the offset
    taken from the least-delayed frame so far (as sitewarden's ingest clock). A pts step
    backwards (the stream restarted) re-anchors it; lag never does, since a frame that is
    reached late keeps its pts."""

    def __init__(self) -> None:
        self.offset: float | None = None
        self._last_pts: float | None = None

    def observe(self, pts_s: float, wall_s: float) -> bool:
        """Take one grabbed frame; True when the stream restarted (its pts went back)."""
        restarted = self._last_pts is not None and pts_s < self._last_pts
        self._last_pts = pts_s
        delay = wall_s - pts_s
        if self.offset is None or restarted or delay < self.offset:
            self.offset = delay
        return restarted

    def sent(self, pts_s: float) -> float:
        """The wall-clock time at which the frame with this pts was sent."""
        return pts_s + (self.offset or 0.0)


class SlotCounter:
    """Drops as defined in the module docstring: slots of one analysis period of stream time;
    a slot with no analysed frame, or a sampled frame reached more than one period late, is
    a drop. The slots passed between two analysed frames are counted from their pts
    difference (rounded: the grid follows the frames' own phase, so a stray timestamp, such
    as the first frame's of a stream cut at a key frame, costs at most one drop)."""

    def __init__(self, analysis_fps: float) -> None:
        self.period_s = 1.0 / analysis_fps
        self.drops = 0
        self._last_pts: float | None = None

    def analysed(self, pts_s: float, lateness_s: float) -> None:
        if self._last_pts is not None:
            passed = math.floor((pts_s - self._last_pts) / self.period_s + 0.5)
            if passed < 1:  # a second frame in a slot already served
                return
            self.drops += passed - 1
        self._last_pts = pts_s
        if lateness_s > self.period_s:
            self.drops += 1

    def restart(self) -> None:
        """The stream restarted: its pts begin anew."""
        self._last_pts = None


# ---------------------------------------------------------------- zones (supervision)


@dataclass
class ZoneRule:
    """One zone as an integrator writes it with supervision: a PolygonZone counting the boxes
    whose bottom centre is inside, and a timer on the count."""

    zone_id: str
    kind: str  # danger_zone | duty_post
    zone: Any  # sv.PolygonZone
    limit: int
    hold_s: float
    since: float | None = None
    active: bool = False
    alarms: int = 0

    def step(self, detections: Any, t: float) -> None:
        self.zone.trigger(detections)
        count = int(self.zone.current_count)
        bad = count > self.limit if self.kind == "danger_zone" else count < self.limit
        if not bad:
            self.since, self.active = None, False
            return
        if self.since is None:
            self.since = t
        if not self.active and t - self.since >= self.hold_s:
            self.active = True
            self.alarms += 1


def make_rules(zones: Sequence[dict[str, Any]], wh: tuple[int, int]) -> list[ZoneRule]:
    """PolygonZones in pixels from sitewarden-style zone dicts (normalised points)."""
    import supervision as sv

    rules = []
    for z in zones:
        polygon = np.round(np.asarray(z["points"], np.float64) * wh).astype(np.int64)
        zone = sv.PolygonZone(polygon, triggering_anchors=(sv.Position.BOTTOM_CENTER,))
        if z["kind"] == "danger_zone":
            limit, hold = int(z.get("max_persons", 0)), float(z.get("min_duration_s", 1.0))
        elif z["kind"] == "duty_post":
            limit, hold = int(z.get("min_persons", 1)), float(z.get("absence_s", 300.0))
        else:
            raise ValueError(f"zone {z['id']}: the peer knows danger_zone and duty_post")
        rules.append(ZoneRule(z["id"], z["kind"], zone, limit, hold))
    return rules


def make_tracker(analysis_fps: float) -> Any:
    """sv.ByteTrack at the analysis rate (its deprecation notice silenced: made here, in the
    starting thread, since catch_warnings is not thread-safe)."""
    import supervision as sv

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return sv.ByteTrack(frame_rate=analysis_fps)


# ---------------------------------------------------------------- one camera


@dataclass
class Counters:
    frames_in: int = 0
    frames_analysed: int = 0
    reconnects: int = 0
    latency_ms: float = 0.0
    last_pts_s: float | None = None
    cpu_s: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    lock: threading.Lock = field(default_factory=threading.Lock)


class PeerCamera:
    """One camera: a thread that grabs every frame and analyses every stride-th inline."""

    def __init__(self, camera_id: str, url: str, zones: Sequence[dict[str, Any]],
                 detect: DetectFn, analysis_fps: float = ANALYSIS_FPS,
                 decode_threads: int = 0) -> None:
        self.camera_id, self.url = camera_id, url
        self.zones = list(zones)
        self.analysis_fps = analysis_fps
        self.decode_threads = decode_threads  # 0: OpenCV's default
        self.counters = Counters()
        self.clock = LiveClock()
        self.slots = SlotCounter(analysis_fps)
        self._detect = detect
        self._tracker = make_tracker(analysis_fps)
        self._rules: list[ZoneRule] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"peer-{camera_id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout_s: float = 3.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            params = [] if self.decode_threads <= 0 else [cv2.CAP_PROP_N_THREADS,
                                                          self.decode_threads]
            cap = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
            try:
                if cap.isOpened():
                    self._read(cap)
                else:
                    log.warning("%s: cannot open the stream", self.camera_id)
            except Exception:  # an integrator's loop logs and reconnects
                log.exception("%s: reading failed", self.camera_id)
            finally:
                cap.release()
            if not self._stop.is_set():
                with self.counters.lock:
                    self.counters.reconnects += 1
                self._stop.wait(REOPEN_S)

    def _read(self, cap: cv2.VideoCapture) -> None:
        fps = cap.get(cv2.CAP_PROP_FPS) or 25.0
        stride = max(1, round(fps / self.analysis_fps))
        n = 0
        while not self._stop.is_set():
            c0 = time.thread_time()
            if not cap.grab():
                log.warning("%s: the stream ended", self.camera_id)
                return
            wall = time.time()
            pts = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if self.clock.observe(pts, wall):
                self.slots.restart()
            c1 = time.thread_time()
            with self.counters.lock:
                self.counters.frames_in += 1
                self.counters.last_pts_s = pts
                self.counters.cpu_s["grab"] += c1 - c0
            if n % stride == 0:
                ok, frame = cap.retrieve()
                with self.counters.lock:
                    self.counters.cpu_s["retrieve"] += time.thread_time() - c1
                if ok:
                    self._analyse(frame, pts, wall)
            n += 1

    def _analyse(self, frame: np.ndarray, pts: float, grabbed_wall: float) -> None:
        import supervision as sv

        sent = self.clock.sent(pts)
        self.slots.analysed(pts, grabbed_wall - sent)
        c0 = time.thread_time()
        found = self._detect(frame)
        c1 = time.thread_time()
        dets = sv.Detections(xyxy=found.boxes_xyxy_px, confidence=found.scores,
                             class_id=np.zeros(len(found), dtype=int))
        tracked = self._tracker.update_with_detections(dets)
        if self._rules is None:
            self._rules = make_rules(self.zones, (frame.shape[1], frame.shape[0]))
        for rule in self._rules:
            rule.step(tracked, sent)
        c2 = time.thread_time()
        latency_ms = 1000.0 * (time.time() - sent)
        c = self.counters
        with c.lock:
            c.frames_analysed += 1
            c.latency_ms = (latency_ms if c.frames_analysed == 1
                            else c.latency_ms + LATENCY_EWMA * (latency_ms - c.latency_ms))
            c.cpu_s["detect"] += c1 - c0
            c.cpu_s["track_zones"] += c2 - c1

    def snapshot(self) -> dict[str, Any]:
        """The counters channels.py judges, named as sitewarden's camera_stats() names them."""
        c = self.counters
        with c.lock:
            out: dict[str, Any] = {
                "camera_id": self.camera_id, "frames_in": c.frames_in,
                "frames_analysed": c.frames_analysed, "frames_inferred": c.frames_analysed,
                "drops": self.slots.drops, "latency_ms": round(c.latency_ms, 2),
                "reconnects": c.reconnects, "cpu_s": dict(c.cpu_s),
            }
            last = c.last_pts_s
        age = None if last is None else time.time() - self.clock.sent(last)
        out["last_frame_age_s"] = None if age is None else round(age, 3)
        out["alarms"] = sum(r.alarms for r in self._rules or [])
        return out


# ---------------------------------------------------------------- the process


def detect_functions(model: Path, mode: str, n: int) -> list[DetectFn]:
    """What each camera thread calls to detect (see `--session` in the module docstring)."""
    if mode not in SESSION_MODES:
        raise ValueError(f"session must be one of {SESSION_MODES}, got {mode!r}")
    if mode == "per-camera":
        return [Detector.open(model, threads=1).detect for _ in range(n)]
    shared = Detector.open(model, threads=1)
    if mode == "shared":
        return [shared.detect] * n
    lock = threading.Lock()

    def locked(image: np.ndarray) -> Detections:
        with lock:
            return shared.detect(image)

    return [locked] * n


class Peer:
    """Every camera of the site in one process, as PeerCamera threads."""

    def __init__(self, cameras: Sequence[tuple[str, str]], model: Path,
                 zones: Sequence[dict[str, Any]] = (), session: str = "shared",
                 analysis_fps: float = ANALYSIS_FPS, decode_threads: int = 0) -> None:
        detect = detect_functions(model, session, len(cameras))
        self.cameras = [
            PeerCamera(cid, url, [z for z in zones if z["camera"] == cid], fn, analysis_fps,
                       decode_threads)
            for (cid, url), fn in zip(cameras, detect, strict=True)]

    def start(self) -> None:
        # read by OpenCV's FFmpeg backend at each open: set once, before any thread opens
        os.environ["OPENCV_FFMPEG_CAPTURE_OPTIONS"] = CAPTURE_OPTIONS
        for cam in self.cameras:
            cam.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        for cam in self.cameras:
            cam.request_stop()
        deadline = time.monotonic() + timeout_s
        for cam in self.cameras:
            cam.stop(max(0.0, deadline - time.monotonic()))

    def camera_stats(self) -> list[dict[str, Any]]:
        return [cam.snapshot() for cam in self.cameras]


# ---------------------------------------------------------------- command line


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", default="main1080",
                    help="serve channels.py's streams of this kind (ignored with --url)")
    ap.add_argument("--cameras", type=int, default=2)
    ap.add_argument("--url", action="append", default=[], help="a camera (repeat)")
    ap.add_argument("--stream-fps", type=float, default=25.0, help="with --url")
    ap.add_argument("--warmup-s", type=float, default=5.0)
    ap.add_argument("--seconds", type=float, default=15.0, help="the measuring window")
    ap.add_argument("--session", choices=SESSION_MODES, default="shared")
    ap.add_argument("--decode-threads", type=int, default=0, help="0: OpenCV's default")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from benchmarks import channels

    if args.url:
        result = channels.peer_on_urls(args.url, args.stream_fps, args.warmup_s, args.seconds,
                                       args.session, args.decode_threads)
    else:
        result = channels.peer_trial(args.kind, args.cameras, args.warmup_s, args.seconds,
                                     args.session, args.decode_threads)
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
