"""How many cameras this box sustains at 5 analysed fps, next to the ceiling measured in the
same run, and next to the pipeline an integrator would write by hand (benchmarks/peer.py) on
the same streams. Prints one JSON object (progress on stderr).

    python benchmarks/channels.py [--kinds main1080,sub360,gated,visitors] [--window-s 15]
        [--peer/--no-peer] [--peer-kinds main1080,visitors] [--peer-session shared] [--batched]
    python benchmarks/channels.py --smoke     # a minute: 2 cameras, one short trial each

Streams are real RTSP (tests/rtsp_server.py: GStreamer on loopback, one mount per camera),
made with ffmpeg like camera streams (H.264, no B-frames, key frame every second):
- main1080: 1080p25 from the vtest clip at 2.5x speed (every frame a new picture), decoded;
- sub360: a 640x360 copy decoded, plus a 1080p main stream received (packets only);
- gated: 640x360 of 96-117 s of the one-by-one clip (a person standing at a post, shifting
  slightly; nobody walks), motion gating on (refresh_s 2), plus the 1080p main stream;
- visitors: the whole one-by-one clip (people come and go), gating on, plus the main stream.
Every camera carries a danger zone and a duty post. Camera i gets the clip started at a
different point (12 offsets), as cameras of one site do not see motion at the same instant.

Ceilings, measured in the same run:
- ceiling_all_moving = cores / (decode + 5 x inference): decode = CPU-s per s of stream with
  one single-thread decoder per core side by side (files, no network); inference = CPU-s
  per frame with one single-thread session per core side by side;
- ceiling_live_ingest: the same with decode replaced by "ingest alone": the kind's N
  cameras received over RTSP and decoded as the runtime does, with no analysis running;
- ceiling_on_cores_left_by_server: the first, on the cores the benchmark's own RTSP server
  leaves (a site's cameras do not run on the box).
For gated kinds the same (all-moving) ceilings are the yardstick: fractions above 1 are the
cameras gating adds.

A trial runs `sitewarden`'s Supervisor with N cameras in a subprocess (clean RSS); N is
sustained when every camera analyses >= 95 % of 5 fps, decodes >= 95 % of the stream rate,
and drops no frame in the measuring window. Each trial reports CPU by kind of thread
(ingest, prepare, infer); `cpu_cores_per_camera` sets the largest sustained trial's figures
next to what the ceiling counts. Memory per additional camera: RSS slope across trials.
Alarm latency: zones on vtest, a real Mosquitto, from the frame at which a rule fired
(event `time`) to the broker's PUBACK.

The peer (--peer, default on, for --peer-kinds): benchmarks/peer.py, OpenCV capture threads
with inline detection (same model and pre/post-processing), supervision's ByteTrack and
PolygonZones; needs the `peer` extra. Its trials run in the same subprocess harness, on the
same mounts (the detection stream d<i>: the peer receives no main stream), with the same
zones, the same criteria (its drops are defined in peer.py's docstring to judge it as
sitewarden's sampler judges itself) and CPU measured the same way; its search starts at the
all-moving ceiling (it does not gate).

Report (stdout), per kind under "kinds":
  decode, ceiling_all_moving, sustained_cameras, trials[], fraction_of_ceiling,
  ingest_alone, ceiling_live_ingest, fraction_of_live_ceiling (not with --smoke),
  ceiling_on_cores_left_by_server, fraction_of_that_ceiling, cpu_cores_per_camera,
  peer (with --peer, for --peer-kinds): {pipeline, session, sustained_cameras, trials[],
    cpu_cores_per_camera: {runtime, by phase (grab, retrieve, detect, track_zones, other
    threads), rtsp_server}},
  comparison (with peer): {sitewarden_cameras, peer_cameras, sitewarden_over_peer (null
    when the peer sustained none), runtime_cpu_cores_per_camera: {sitewarden, peer}}.
A trial: kind, cameras, sustained, window_s, min_fps_analysed, min_fps_in,
mean_fps_inferred, drops, max_latency_ms, box_cpu_busy, other_cpu_cores, runtime_cpu_cores,
rtsp_server_cpu_cores, rss_mb, cpu_cores_by_thread, box_busy_before, pipeline
("sitewarden" or "peer"), and for the peer cpu_cores_by_phase and alarms_so_far (its zone
timers' alarms since the trial started: a sign that the zones work). Top level: machine,
model, analysis_fps, inference, kinds, memory_per_camera_mb, alarm_latency (not with
--smoke), smoke.
With --smoke (CI: does it run end to end; figures not judged): 2 cameras, short windows,
no waiting for a quiet box, one trial per pipeline instead of a search; sustained_cameras
is that trial's count when it held, else 0.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import av
import numpy as np

from edge.assets import assets_dir
from publisher.events import Event
from tests.rtsp_server import RtspServer, prepare

log = logging.getLogger("benchmarks.channels")

ANALYSIS_FPS = 5.0
MODEL = "models/yolox_nano.onnx"
PEER_PIPELINE = ("one process; per camera a thread: cv2.VideoCapture (FFmpeg, RTSP/TCP), "
                 "grab() every frame, retrieve() + inline detection every 5th; "
                 "sv.ByteTrack, two sv.PolygonZone (bottom centre)")


# ---------------------------------------------------------------- streams


def streams(assets: Path) -> dict[str, Path]:
    vtest = assets / "video" / "vtest_480x360.mp4"
    onebyone = assets / "video" / "one-by-one-person-detection.mp4"
    fast = "setpts=PTS/2.5"
    return {
        "main1080": prepare(vtest, "bench1080", vf=f"{fast},scale=1920:1080", fps=25, gop=25,
                            loops=4, extra=("-crf", "23")),
        "sub360": prepare(vtest, "bench360", vf=f"{fast},scale=640:360", fps=25, gop=25,
                          loops=4),
        # 96-117 s of the clip: the room with nobody moving (frame differences at 5 fps
        # stay under the motion threshold throughout; the first 15 s have people walking)
        "still360": prepare(onebyone, "benchstill",
                            vf="trim=start=96:end=117,setpts=PTS-STARTPTS,scale=640:360",
                            fps=25, gop=25, loops=9),
        "visitors360": prepare(onebyone, "benchvisitors", vf="scale=640:360", fps=25, gop=25,
                               loops=1),
    }


# Cameras of one site see different scenes; a few variants of one clip shared by many
# cameras would put groups of them in lockstep (the same motion at the same instant).
VARIANTS = 12


def offset_copies(path: Path, count: int = VARIANTS, step_s: float = 1.5) -> list[Path]:
    """The same stream starting at different points (stream copy, cut at key frames).

    Cameras of a real site do not see the same picture at the same instant; identical
    synchronized streams would make every camera need detection (and decode a key frame) at
    the same moment, which is a load pattern no site has.
    """
    out = [path]
    for k in range(1, count):
        dst = path.with_name(f"{path.stem}-at{k * step_s:g}s.mp4")
        if not dst.exists():
            tmp = dst.with_suffix(".tmp.mp4")
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(k * step_s), "-i",
                            str(path), "-c", "copy", str(tmp)], check=True)
            tmp.rename(dst)
        out.append(dst)
    return out


KINDS: dict[str, dict[str, Any]] = {
    # kind: detection stream, main stream (packets only), motion gating
    "main1080": {"detect": "main1080", "main": None, "gated": False},
    "sub360": {"detect": "sub360", "main": "main1080", "gated": False},
    "gated": {"detect": "still360", "main": "main1080", "gated": True},
    "visitors": {"detect": "visitors360", "main": "main1080", "gated": True},
}


# ---------------------------------------------------------------- per-channel costs


def decode_cost(path: Path, cores: int, seconds: float = 10.0) -> dict[str, Any]:
    """CPU-seconds per second of stream to decode every frame: one single-thread decoder per
    core side by side (as cameras decode on a busy box, and as inference is measured), each
    on a copy of the stream started at a different point."""
    copies = offset_copies(path)
    results: list[tuple[float, float]] = []

    def work(p: Path) -> None:
        results.append(_decode_one(p, seconds))

    threads = [threading.Thread(target=work, args=(copies[i % len(copies)],))
               for i in range(cores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fps = results[0][0]
    per_s = [cpu for _, cpu in results]
    return {"fps": fps, "cpu_s_per_s": float(np.mean(per_s)),
            "cpu_s_per_s_each": [round(v, 4) for v in per_s]}


def _decode_one(path: Path, seconds: float) -> tuple[float, float]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.codec_context.thread_count = 1
        fps = float(s.average_rate or 25)
        n = 0
        t0 = time.thread_time()
        for frame in c.decode(s):
            n += 1
            if n == 1:
                t0 = time.thread_time()
            if n >= seconds * fps:
                break
            del frame
        cpu = time.thread_time() - t0
    return fps, cpu / ((n - 1) / fps)


def inference_cost(model: Path, cores: int, frames: int = 60) -> dict[str, float]:
    """CPU-seconds per detected frame with one single-thread session per core in parallel."""
    from models.detector import Detector

    img = np.random.default_rng(0).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    sessions = [Detector.open(model, threads=1) for _ in range(cores)]
    for d in sessions:
        d.detect(img)
    done: list[float] = []

    def work(d: Any) -> None:
        t0 = time.perf_counter()
        for _ in range(frames):
            d.detect(img)
        done.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=work, args=(d,)) for d in sessions]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    per_frame_ms = 1000 * max(done) / frames
    return {"ms_per_frame_1thread": per_frame_ms,
            "throughput_fps": cores * frames / wall,
            "cpu_s_per_frame": cores * wall / (cores * frames)}


# ---------------------------------------------------------------- one trial (subprocess)


def camera_server(kind: str, n: int) -> RtspServer:
    """A started RTSP server with the kind's mounts for N cameras: d<i> (detection stream)
    and, for kinds with a main stream, m<i>."""
    media = streams(assets_dir())
    spec = KINDS[kind]
    detect = offset_copies(media[spec["detect"]])
    mounts = {f"d{i}": detect[i % len(detect)] for i in range(n)}
    if spec["main"]:
        main = offset_copies(media[spec["main"]])
        mounts |= {f"m{i}": main[i % len(main)] for i in range(n)}
    server = RtspServer(mounts)
    server.start()
    return server


def ingest_alone(kind: str, n: int, warmup_s: float, window_s: float) -> dict[str, Any]:
    """The kind's N cameras received (RTSP) and decoded as the runtime does, with no analysis:
    decode alone as a live box pays for it (receiving, and N decoders sharing the caches)."""
    from edge.ingest import CameraSource
    from edge.ingest.camera import IngestSettings

    spec = KINDS[kind]
    server = camera_server(kind, n)
    cams = [CameraSource(f"cam{i}", server.url(f"m{i}" if spec["main"] else f"d{i}"),
                         server.url(f"d{i}") if spec["main"] else None,
                         IngestSettings(analysis_fps=ANALYSIS_FPS), consumer_ready=lambda: False)
            for i in range(n)]
    try:
        for cam in cams:
            cam.start()
        time.sleep(warmup_s)
        a, t0 = _thread_cpu_s(), time.monotonic()
        time.sleep(window_s)
        b, dt = _thread_cpu_s(), time.monotonic() - t0
    finally:
        for cam in cams:
            cam.stop()
        server.stop()
    ingest = sum(v - a.get(k, 0.0) for k, v in b.items() if k.startswith("ingest")) / dt
    return {"cameras": n, "cpu_s_per_s": ingest / n}


def trial(kind: str, n: int, warmup_s: float, window_s: float, out: Path,
          model: Path | None = None) -> dict[str, Any]:
    import yaml

    from edge.config import parse_config
    from edge.runtime import Supervisor

    assets = assets_dir()
    media = streams(assets)
    spec = KINDS[kind]
    server = camera_server(kind, n)
    try:
        cams = []
        for i in range(n):
            cam: dict[str, Any] = {"id": f"cam{i}", "analysis_fps": ANALYSIS_FPS,
                                   "url": server.url(f"m{i}" if spec["main"] else f"d{i}"),
                                   "motion": {"enabled": spec["gated"], "refresh_s": 2.0}}
            if spec["main"]:
                cam["substream_url"] = server.url(f"d{i}")
            cams.append(cam)
        doc = {"site_id": "bench", "box_id": "b1",
               "detector": {"model": str(model or assets / MODEL), "threads": 1,
                            "sessions": 0},
               "cameras": cams, "zones": site_zones(n),
               "storage": {"directory": str(out / "store")}}
        sup = Supervisor(parse_config(yaml.safe_dump(doc)), evidence=False)
        sup.start()
        th = threading.Thread(target=sup.run, daemon=True)
        th.start()
        try:
            a, b = _window(sup, server, warmup_s, window_s)
        finally:
            sup.stop()
            th.join(5)
            sup.close(3.0)
    finally:
        server.stop()
    return _judge(kind, n, a, b, _stream_fps(media[spec["detect"]]))


def _window(runner: Any, server: RtspServer | None, warmup_s: float,
            window_s: float) -> tuple[dict[str, Any], dict[str, Any]]:
    """Samples of a started runner (anything with camera_stats()) after the warm-up and
    after the measuring window."""
    time.sleep(warmup_s)
    a = _sample(runner, server)
    time.sleep(window_s)
    return a, _sample(runner, server)


def peer_trial(kind: str, n: int, warmup_s: float, window_s: float, session: str = "shared",
               decode_threads: int = 0) -> dict[str, Any]:
    """The peer (benchmarks/peer.py) on the kind's detection streams for N cameras, with the
    same zones, judged by the same criteria as trial()."""
    from benchmarks.peer import Peer

    media = streams(assets_dir())
    server = camera_server(kind, n)
    try:
        peer = Peer([(f"cam{i}", server.url(f"d{i}")) for i in range(n)],
                    assets_dir() / MODEL, site_zones(n), session, ANALYSIS_FPS, decode_threads)
        peer.start()
        try:
            a, b = _window(peer, server, warmup_s, window_s)
        finally:
            peer.stop()
    finally:
        server.stop()
    result = _judge(kind, n, a, b, _stream_fps(media[KINDS[kind]["detect"]]))
    return {"pipeline": "peer", **result, **_peer_phases(a, b, result)}


def peer_on_urls(urls: list[str], stream_fps: float, warmup_s: float, window_s: float,
                 session: str = "shared", decode_threads: int = 0) -> dict[str, Any]:
    """The peer on given cameras (no zones, no server of ours), judged as a trial."""
    from benchmarks.peer import Peer

    peer = Peer([(f"cam{i}", u) for i, u in enumerate(urls)], assets_dir() / MODEL, (),
                session, ANALYSIS_FPS, decode_threads)
    peer.start()
    try:
        a, b = _window(peer, None, warmup_s, window_s)
    finally:
        peer.stop()
    result = _judge("urls", len(urls), a, b, stream_fps)
    return {"pipeline": "peer", **result, **_peer_phases(a, b, result)}


def _peer_phases(a: dict[str, Any], b: dict[str, Any], judged: dict[str, Any]) -> dict[str, Any]:
    """The peer's CPU per camera by phase of its camera threads (thread CPU time); decoder
    threads that FFmpeg starts on its own, and whatever else the process runs, are `other`."""
    dt = b["t"] - a["t"]
    n = len(b["cams"])
    phases: dict[str, float] = {}
    for ca, cb in zip(a["cams"], b["cams"], strict=True):
        for k, v in cb["cpu_s"].items():
            phases[k] = phases.get(k, 0.0) + (v - ca["cpu_s"].get(k, 0.0)) / dt / n
    other = judged["runtime_cpu_cores"] / n - sum(phases.values())
    alarms = sum(c.get("alarms", 0) for c in b["cams"])
    return {"cpu_cores_by_phase": {**{k: round(v, 4) for k, v in phases.items()},
                                   "other threads": round(other, 4)},
            "alarms_so_far": alarms}


def site_zones(n: int) -> list[dict[str, Any]]:
    """What a supervised camera carries: a danger zone and a duty post (the rules' cost
    belongs in the measurement)."""
    zones: list[dict[str, Any]] = []
    for i in range(n):
        zones.append({"id": f"danger-{i}", "camera": f"cam{i}", "kind": "danger_zone",
                      "points": [[0.05, 0.45], [0.45, 0.45], [0.45, 0.95], [0.05, 0.95]],
                      "min_duration_s": 1.0, "clear_s": 3.0})
        zones.append({"id": f"post-{i}", "camera": f"cam{i}", "kind": "duty_post",
                      "points": [[0.55, 0.3], [0.95, 0.3], [0.95, 0.95], [0.55, 0.95]],
                      "absence_s": 60, "return_s": 5})
    return zones


def _stream_fps(path: Path) -> float:
    with av.open(str(path)) as c:
        return float(c.streams.video[0].average_rate or 25)


def _sample(sup: Any, server: RtspServer | None) -> dict[str, Any]:
    proc = server._proc if server is not None else None
    return {
        "t": time.monotonic(),
        "cams": sup.camera_stats(),
        "cpu_self_s": _proc_cpu_s(os.getpid()),
        "cpu_server_s": _proc_cpu_s(proc.pid) if proc else 0.0,
        "cpu_box": _box_cpu(),
        "rss_mb": _rss_mb(),
        "threads": _thread_cpu_s(),
    }


def _thread_kind(name: str) -> str:
    if name.startswith("ingest-"):
        return "ingest-" + name.rsplit("/", 1)[-1]  # ingest-main / ingest-sub
    return re.sub(r"[-_]?\d+$", "", name.split(" ")[0]) or name


def _thread_cpu_s() -> dict[str, float]:
    """CPU seconds so far by kind of thread (ingest, prepare, infer, …) of this process."""
    out: dict[str, float] = {}
    tck = os.sysconf("SC_CLK_TCK")
    for t in threading.enumerate():
        if t.native_id is None:
            continue
        try:
            fields = Path(f"/proc/self/task/{t.native_id}/stat").read_text().rsplit(")", 1)[1]
        except OSError:
            continue
        f = fields.split()
        kind = _thread_kind(t.name)
        out[kind] = out.get(kind, 0.0) + (int(f[11]) + int(f[12])) / tck
    return out


def _judge(kind: str, n: int, a: dict[str, Any], b: dict[str, Any],
           stream_fps: float) -> dict[str, Any]:
    dt = b["t"] - a["t"]
    per = []
    for ca, cb in zip(a["cams"], b["cams"], strict=True):
        per.append({
            "fps_analysed": (cb["frames_analysed"] - ca["frames_analysed"]) / dt,
            "fps_inferred": (cb["frames_inferred"] - ca["frames_inferred"]) / dt,
            "fps_in": (cb["frames_in"] - ca["frames_in"]) / dt,
            "drops": cb["drops"] - ca["drops"],
            "age_s": cb["last_frame_age_s"],
            "latency_ms": cb["latency_ms"],
        })
    busy = (b["cpu_box"][0] - a["cpu_box"][0]) / max(1, b["cpu_box"][1] - a["cpu_box"][1])
    worst_an = min(p["fps_analysed"] for p in per)
    worst_in = min(p["fps_in"] for p in per)
    drops = sum(p["drops"] for p in per)
    ok = (worst_an >= 0.95 * ANALYSIS_FPS and worst_in >= 0.95 * stream_fps and drops == 0
          and all(p["age_s"] is not None and p["age_s"] < 1.0 for p in per))
    return {
        "kind": kind, "cameras": n, "sustained": ok, "window_s": round(dt, 1),
        "min_fps_analysed": round(worst_an, 2), "min_fps_in": round(worst_in, 2),
        "mean_fps_inferred": round(float(np.mean([p["fps_inferred"] for p in per])), 2),
        "drops": drops,
        "max_latency_ms": round(max(p["latency_ms"] for p in per), 1),
        "box_cpu_busy": round(busy, 3),
        "other_cpu_cores": round(busy * (os.cpu_count() or 1)
                                 - (b["cpu_self_s"] - a["cpu_self_s"]) / dt
                                 - (b["cpu_server_s"] - a["cpu_server_s"]) / dt, 3),
        "runtime_cpu_cores": round((b["cpu_self_s"] - a["cpu_self_s"]) / dt, 3),
        "rtsp_server_cpu_cores": round((b["cpu_server_s"] - a["cpu_server_s"]) / dt, 3),
        "rss_mb": round(b["rss_mb"], 1),
        "cpu_cores_by_thread": {k: round((v - a["threads"].get(k, 0.0)) / dt, 3)
                                for k, v in sorted(b["threads"].items())},
    }


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _box_cpu() -> tuple[int, int]:
    vals = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, sum(vals)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_quiet(max_wait_s: float = 180.0, busy_below: float = 0.15) -> float:
    """Other work on the box skews every figure: wait (bounded) until it is nearly idle.
    Returns how busy the box was in the last 2 s (max_wait_s 0: just measure that)."""
    deadline = time.monotonic() + max_wait_s
    while True:
        a = _box_cpu()
        time.sleep(2.0)
        b = _box_cpu()
        busy = (b[0] - a[0]) / max(1, b[1] - a[1])
        if busy < busy_below or time.monotonic() > deadline:
            return round(busy, 3)


def run_trial(kind: str, n: int, args: argparse.Namespace,
              pipeline: str = "sitewarden") -> dict[str, Any]:
    """One trial in a subprocess (clean RSS, nothing left from the previous one)."""
    idle_busy = wait_quiet(args.quiet_wait_s)
    cmd = [sys.executable, __file__, "--trial", f"{kind}:{n}", "--warmup-s", str(args.warmup_s),
           "--window-s", str(args.window_s), "--pipeline", pipeline,
           "--peer-session", args.peer_session,
           "--peer-decode-threads", str(args.peer_decode_threads)]
    if args.model is not None:
        cmd += ["--model", str(args.model)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if res.returncode != 0 or not lines:
        return {"kind": kind, "cameras": n, "sustained": False, "pipeline": pipeline,
                "error": res.stderr.strip().splitlines()[-3:]}
    result: dict[str, Any] = json.loads(lines[-1])
    result["box_busy_before"] = idle_busy
    result.setdefault("pipeline", pipeline)
    log.info("  %s %s x%d: %s", pipeline, kind, n, json.dumps(result))
    return result


def run_ingest_alone(kind: str, n: int, args: argparse.Namespace) -> dict[str, Any]:
    wait_quiet(args.quiet_wait_s)
    cmd = [sys.executable, __file__, "--ingest-alone", f"{kind}:{n}", "--warmup-s", "6",
           "--window-s", str(args.window_s)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if res.returncode != 0 or not lines:
        return {"cameras": n, "error": res.stderr.strip().splitlines()[-3:]}
    result: dict[str, Any] = json.loads(lines[-1])
    log.info("  %s ingest alone x%d: %s", kind, n, json.dumps(result))
    return result


def find(kind: str, start: int, args: argparse.Namespace,
         pipeline: str = "sitewarden") -> dict[str, Any]:
    """The search below; with --smoke one trial at --smoke-cameras instead."""
    if not args.smoke:
        return search(kind, start, args, pipeline)
    t = run_trial(kind, args.smoke_cameras, args, pipeline)
    return {"sustained_cameras": args.smoke_cameras if t["sustained"] else 0, "trials": [t]}


def search(kind: str, start: int, args: argparse.Namespace,
           pipeline: str = "sitewarden") -> dict[str, Any]:
    """Largest sustained N: from `start`, up (or down) in steps of about a sixth while the
    answer stays the same, then bisect between the largest success and smallest failure."""
    tried: dict[int, dict[str, Any]] = {}

    def ok(n: int) -> bool:
        if n not in tried:
            tried[n] = run_trial(kind, n, args, pipeline)
        return bool(tried[n]["sustained"])

    n = max(1, min(start, args.max_cameras))
    if ok(n):
        lo, hi = n, args.max_cameras + 1
        while lo < args.max_cameras:
            nxt = min(args.max_cameras, lo + max(1, lo // 6))
            if not ok(nxt):
                hi = nxt
                break
            lo = nxt
    else:
        hi, lo = n, 0
        while n > 1:
            n = max(1, n - max(1, n // 6))
            if ok(n):
                lo = n
                break
            hi = n
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return {"sustained_cameras": lo, "trials": [tried[k] for k in sorted(tried)]}


# ---------------------------------------------------------------- alarm latency


def alarm_latency(assets: Path, seconds: float, cameras: int) -> dict[str, Any]:
    import yaml

    from edge.config import parse_config
    from edge.runtime import Supervisor
    from publisher.client import Publisher
    from tests.publisher.mosquitto import Mosquitto

    media = streams(assets)
    work = Path(tempfile.mkdtemp(prefix="sw-latency-"))
    broker = Mosquitto(work / "broker")
    broker.start()
    server = RtspServer({f"d{i}": media["sub360"] for i in range(cameras)})
    server.start()
    acked: dict[str, float] = {}
    try:
        cams = [{"id": f"cam{i}", "url": server.url(f"d{i}"), "analysis_fps": ANALYSIS_FPS}
                for i in range(cameras)]
        zones = [{"id": f"z{i}-{gx}{gy}", "camera": f"cam{i}", "kind": "danger_zone",
                  "points": [[gx / 3, gy / 2], [(gx + 1) / 3, gy / 2],
                             [(gx + 1) / 3, (gy + 1) / 2], [gx / 3, (gy + 1) / 2]],
                  "min_duration_s": 0.4, "clear_s": 0.6}
                 for i in range(cameras) for gx in range(3) for gy in range(2)]
        doc = {"site_id": "bench", "box_id": "b1",
               "detector": {"model": str(assets / MODEL)}, "cameras": cams, "zones": zones,
               "mqtt": {"host": "127.0.0.1", "port": broker.port, "reconnect_initial_s": 0.05},
               "storage": {"directory": str(work / "store")}}
        cfg = parse_config(yaml.safe_dump(doc))
        assert cfg.mqtt is not None
        pub = Publisher(cfg.mqtt, cfg.site_id, cfg.box_id, work / "outbox.db",
                        ack_listener=lambda eid, _lat: acked.__setitem__(eid or "", time.time()))
        pub.start()
        sup = Supervisor(cfg, publisher=pub, evidence=False)
        fired: dict[str, float] = {}

        def on_event(ev: Event) -> None:
            v = ev.violation
            if v is not None and v.phase == "started":
                from datetime import datetime

                fired[ev.id] = datetime.fromisoformat(ev.time).timestamp()

        sup.add_listener(on_event)
        sup.start()
        th = threading.Thread(target=sup.run, daemon=True)
        th.start()
        time.sleep(seconds)
        sup.stop()
        th.join(5)
        sup.close(3.0)
        pub.flush(3.0)
        pub.stop()
    finally:
        server.stop()
        broker.stop()
    lat_ms = sorted(1000 * (acked[k] - t) for k, t in fired.items() if k in acked)
    if not lat_ms:
        return {"alarms": len(fired), "acked": 0}
    return {"cameras": cameras, "alarms": len(fired), "acked": len(lat_ms),
            "p50_ms": round(lat_ms[len(lat_ms) // 2], 1),
            "p95_ms": round(lat_ms[min(len(lat_ms) - 1, int(0.95 * len(lat_ms)))], 1),
            "max_ms": round(lat_ms[-1], 1)}


# ---------------------------------------------------------------- main


def _parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kinds", help="default: main1080,sub360,gated,visitors "
                    "(with --smoke: main1080,visitors)")
    ap.add_argument("--warmup-s", type=float, help="default 8 (--smoke: 4)")
    ap.add_argument("--window-s", type=float, help="default 15 (--smoke: 5)")
    ap.add_argument("--max-cameras", type=int, default=120)
    ap.add_argument("--latency-s", type=float, default=60.0, help="0: skip")
    ap.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                    help="search the hand-written pipeline (benchmarks/peer.py) too")
    ap.add_argument("--peer-kinds", default="main1080,visitors")
    ap.add_argument("--peer-session", default="shared",
                    choices=("shared", "locked", "per-camera"), help="see peer.py")
    ap.add_argument("--peer-decode-threads", type=int, default=0,
                    help="the peer's FFmpeg decoder threads; 0: OpenCV's default")
    ap.add_argument("--smoke", action="store_true",
                    help="a short run for CI: one trial per pipeline, figures not judged")
    ap.add_argument("--smoke-cameras", type=int, default=2)
    ap.add_argument("--batched", action="store_true",
                    help="sitewarden's trials on a copy of the model with a dynamic batch axis "
                    "(models/batching.py): one session on every core, frames of several "
                    "cameras per call; the peer keeps the model as it is")
    ap.add_argument("--model", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--trial", help=argparse.SUPPRESS)
    ap.add_argument("--pipeline", default="sitewarden", help=argparse.SUPPRESS)
    ap.add_argument("--ingest-alone", help=argparse.SUPPRESS)
    args = ap.parse_args()
    smoke = args.smoke
    if args.kinds is None:
        args.kinds = "main1080,visitors" if smoke else "main1080,sub360,gated,visitors"
    if args.warmup_s is None:
        args.warmup_s = 4.0 if smoke else 8.0
    if args.window_s is None:
        args.window_s = 5.0 if smoke else 15.0
    args.quiet_wait_s = 0.0 if smoke else 180.0
    return args


def main() -> None:
    args = _parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    if args.ingest_alone:
        kind, n = args.ingest_alone.split(":")
        result = ingest_alone(kind, int(n), args.warmup_s, args.window_s)
        sys.stdout.write(json.dumps(result) + "\n")
        return
    if args.trial:
        kind, n = args.trial.split(":")
        if args.pipeline == "peer":
            result = peer_trial(kind, int(n), args.warmup_s, args.window_s, args.peer_session,
                                args.peer_decode_threads)
            sys.stdout.write(json.dumps(result) + "\n")
            return
        with tempfile.TemporaryDirectory() as tmp:
            result = trial(kind, int(n), args.warmup_s, args.window_s, Path(tmp), args.model)
            sys.stdout.write(json.dumps(result) + "\n")
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.batched:
            from models.batching import make_batch_dynamic

            args.model = Path(tmp) / "yolox_nano_batch.onnx"
            make_batch_dynamic(assets_dir() / MODEL, args.model)
        sys.stdout.write(json.dumps(run_report(args), indent=2) + "\n")


def run_report(args: argparse.Namespace) -> dict[str, Any]:
    assets = assets_dir()
    media = streams(assets)
    cores = os.cpu_count() or 1
    wait_quiet(args.quiet_wait_s)
    inf = inference_cost(assets / MODEL, cores, frames=10 if args.smoke else 60)
    report: dict[str, Any] = {
        "machine": {"cores": cores, "cpu": platform.processor() or platform.machine(),
                    "python": platform.python_version()},
        "model": "yolox_nano 416x416, onnxruntime CPU, " + (
            "batch axis made dynamic: one session on every core, batches across cameras"
            if args.batched else "one 1-thread session per core"),
        "analysis_fps": ANALYSIS_FPS, "inference": inf, "kinds": {}, "smoke": args.smoke,
    }
    for kind in args.kinds.split(","):
        report["kinds"][kind] = measure_kind(kind, media, inf, cores, args)
    report["memory_per_camera_mb"] = _memory_slope(report)
    if args.latency_s > 0 and not args.smoke:
        report["alarm_latency"] = alarm_latency(assets, args.latency_s, cameras=2)
    return report


def measure_kind(kind: str, media: dict[str, Path], inf: dict[str, Any], cores: int,
                 args: argparse.Namespace) -> dict[str, Any]:
    """Ceilings, sitewarden's search and (for --peer-kinds) the peer's, for one kind."""
    spec = KINDS[kind]
    wait_quiet(args.quiet_wait_s)
    dec = decode_cost(media[spec["detect"]], cores, seconds=2.0 if args.smoke else 10.0)
    per_channel = dec["cpu_s_per_s"] + ANALYSIS_FPS * inf["cpu_s_per_frame"]
    ceiling = cores / per_channel
    start = int(ceiling) if not spec["gated"] else int(ceiling * 2)
    found = find(kind, start, args)
    entry = {"decode": dec, "ceiling_all_moving": round(ceiling, 2), **found,
             "fraction_of_ceiling": round(found["sustained_cameras"] / ceiling, 3)}
    if not args.smoke:
        entry |= _live_ceiling(kind, found, inf, cores, args)
    entry |= {**_server_adjusted(found, cores, per_channel),
              "cpu_cores_per_camera": _breakdown(found, dec, inf)}
    if args.peer and kind in args.peer_kinds.split(","):
        peer = find(kind, int(ceiling), args, "peer")
        entry["peer"] = {"pipeline": PEER_PIPELINE, "session": args.peer_session, **peer,
                         "cpu_cores_per_camera": _peer_breakdown(peer)}
        entry["comparison"] = _comparison(found, peer)
    return entry


def _peer_breakdown(found: dict[str, Any]) -> dict[str, Any]:
    """Where a peer camera's CPU goes in its largest sustained trial."""
    t = _largest_sustained(found)
    if t is None:
        return {}
    n = found["sustained_cameras"]
    return {"runtime": round(t["runtime_cpu_cores"] / n, 4),
            "by phase": t.get("cpu_cores_by_phase", {}),
            "rtsp_server (benchmark's)": round(t["rtsp_server_cpu_cores"] / n, 4)}


def _comparison(found: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    """Sustained cameras side by side, and each one's process CPU per camera at its own
    largest sustained count."""
    n_sw, n_peer = found["sustained_cameras"], peer["sustained_cameras"]
    cpu: dict[str, float | None] = {}
    for name, f, n in (("sitewarden", found, n_sw), ("peer", peer, n_peer)):
        t = _largest_sustained(f)
        cpu[name] = None if t is None else round(t["runtime_cpu_cores"] / n, 4)
    return {"sitewarden_cameras": n_sw, "peer_cameras": n_peer,
            "sitewarden_over_peer": round(n_sw / n_peer, 2) if n_peer else None,
            "runtime_cpu_cores_per_camera": cpu}


def _live_ceiling(kind: str, found: dict[str, Any], inf: dict[str, Any], cores: int,
                  args: argparse.Namespace) -> dict[str, Any]:
    """The ceiling again with decode alone measured as a live box pays for it: the same N
    cameras received over RTSP and decoded, no analysis (see ingest_alone)."""
    n = max(1, found["sustained_cameras"])
    ing = run_ingest_alone(kind, n, args)
    if "cpu_s_per_s" not in ing:
        return {"ingest_alone": ing}
    ceiling = cores / (ing["cpu_s_per_s"] + ANALYSIS_FPS * inf["cpu_s_per_frame"])
    return {"ingest_alone": {k: round(v, 4) for k, v in ing.items()},
            "ceiling_live_ingest": round(ceiling, 2),
            "fraction_of_live_ceiling": round(found["sustained_cameras"] / ceiling, 3)}


def _largest_sustained(found: dict[str, Any]) -> dict[str, Any] | None:
    """The trial of the largest sustained camera count (None: nothing was sustained)."""
    for t in found["trials"]:
        if t.get("sustained") and t["cameras"] == found["sustained_cameras"]:
            return dict(t)
    return None


def _server_adjusted(found: dict[str, Any], cores: int, per_channel: float) -> dict[str, Any]:
    """The benchmark's RTSP server shares the box's cores; a site's cameras do not. The
    ceiling again on the cores the server left (its CPU in the largest sustained trial)."""
    best = _largest_sustained(found)
    if best is None:
        return {}
    left = cores - best["rtsp_server_cpu_cores"]
    ceiling = left / per_channel
    n = found["sustained_cameras"]
    return {"ceiling_on_cores_left_by_server": round(ceiling, 2),
            "fraction_of_that_ceiling": round(n / ceiling, 3)}


def _breakdown(found: dict[str, Any], dec: dict[str, Any], inf: dict[str, Any]) -> dict[str, Any]:
    """Where a camera's CPU goes in the largest sustained trial, next to what the ceiling
    counts for it (decode alone, inference alone)."""
    t = _largest_sustained(found)
    if t is None:
        return {}
    n = found["sustained_cameras"]
    by = t["cpu_cores_by_thread"]
    ingest = sum(v for k, v in by.items() if k.startswith("ingest"))
    named = ingest + by.get("infer", 0.0) + by.get("prepare", 0.0)
    return {
        "ceiling": {"decode": round(dec["cpu_s_per_s"], 4),
                    "inference": round(t["mean_fps_inferred"] * inf["cpu_s_per_frame"], 4)},
        "runtime": {
            "ingest (receive, decode, convert)": round(ingest / n, 4),
            "inference + tracking + rules": round(by.get("infer", 0.0) / n, 4),
            "prepare (health, motion, gated rules)": round(by.get("prepare", 0.0) / n, 4),
            "other threads": round((t["runtime_cpu_cores"] - named) / n, 4),
        },
        "rtsp_server (benchmark's)": round(t["rtsp_server_cpu_cores"] / n, 4),
    }


def _memory_slope(report: dict[str, Any]) -> dict[str, float]:
    out = {}
    for kind, entry in report["kinds"].items():
        pts = [(t["cameras"], t["rss_mb"]) for t in entry["trials"] if "rss_mb" in t]
        if len(pts) >= 2:
            xs, ys = zip(*pts, strict=True)
            out[kind] = round(float(np.polyfit(xs, ys, 1)[0]), 1)
    return out


if __name__ == "__main__":
    main()
