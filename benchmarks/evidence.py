"""CPU cost of evidence per violation: JPEG snapshots and stream-copied MP4 clips.

    python benchmarks/evidence.py [--video PATH] [--violations 8] [--length-s 6] [--out FILE]

Replays a real video into an EvidenceRecorder (replay mode, so every cost lands on this
thread) with violations spread over the file, then reports per violation: thread CPU of
the JPEG work (annotate + encode, 3 images) and of the remux, and for comparison the CPU it
takes to *decode* the same clip. It also checks that every packet in each clip is
byte-identical to the source packet: a clip is a stream copy, it costs no decoding.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av

# run as a script, this folder comes first on sys.path and its publisher.py would shadow the
# package of that name
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.assets import assets_dir
from edge.config.storage import EvidenceConfig, StorageConfig
from edge.evidence import EvidenceReady, EvidenceRecorder
from zones.spec import ZoneSpec
from zones.types import Track, ViolationUpdate

ZONE = ZoneSpec("bench-zone", "bench", "danger_zone",
                ((0.1, 0.3), (0.6, 0.3), (0.6, 0.9), (0.1, 0.9)), label="bench")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _update(
    vid: str, phase: str, t_s: float, start_s: float, end_s: float | None
) -> ViolationUpdate:
    person = Track(1, (0.3, 0.35, 0.4, 0.8), 0.9)
    return ViolationUpdate(
        vid, phase, "bench", ZONE.zone_id, "danger_zone", t_s,  # type: ignore[arg-type]
        start_s, end_s, 1, 1, (person,),
    )


def _script(duration_s: float, n: int, length_s: float, pre_s: float) -> dict[int, list[Any]]:
    """Frame index (10 fps assumed only for spacing) -> updates; violations spaced evenly."""
    step = (duration_s - 2 * pre_s - length_s) / max(1, n)
    out: dict[int, list[Any]] = {}
    for i in range(n):
        start = pre_s + 1 + i * step
        end = start + length_s
        out.setdefault(round(start * 1000), []).append(("started", f"b{i}", start, None))
        out.setdefault(round((end + 1) * 1000), []).append(("ended", f"b{i}", start, end))
    return out


def _replay(video: Path, rec: EvidenceRecorder, script: dict[int, list[Any]]) -> dict[str, float]:
    cpu = {"add_packet_cpu_s": 0.0, "on_update_cpu_s": 0.0, "poll_cpu_s": 0.0}
    pending = sorted(script.items())
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        rec.set_stream(s)
        for pkt in c.demux(s):
            t0 = time.thread_time()
            rec.add_packet(pkt)
            cpu["add_packet_cpu_s"] += time.thread_time() - t0
            for frame in pkt.decode():  # stands in for the detector's frames
                t = float(frame.time or 0.0)
                while pending and pending[0][0] <= round(t * 1000):
                    img = frame.to_ndarray(format="bgr24")
                    for phase, vid, start, end in pending.pop(0)[1]:
                        t0 = time.thread_time()
                        rec.on_update(_update(vid, phase, t, start, end), img, t,
                                      T0 + timedelta(seconds=t))
                        cpu["on_update_cpu_s"] += time.thread_time() - t0
                t0 = time.thread_time()
                rec.poll(t)
                cpu["poll_cpu_s"] += time.thread_time() - t0
        rec.finish()
    return cpu


def _decode_cpu_s(path: str) -> tuple[float, int]:
    t0 = time.thread_time()
    with av.open(path) as c:
        n = sum(1 for _ in c.decode(video=0))
    return time.thread_time() - t0, n


def _source_packets(video: Path) -> set[bytes]:
    with av.open(str(video)) as c:
        return {bytes(p) for p in c.demux(video=0) if p.size}


def _clip_is_stream_copy(clip: str, source: set[bytes]) -> bool:
    with av.open(clip) as c:
        return all(bytes(p) in source for p in c.demux(video=0) if p.size)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=assets_dir() / "video" / "vtest_480x360.mp4")
    ap.add_argument("--violations", type=int, default=8)
    ap.add_argument("--length-s", type=float, default=6.0)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--smoke", action="store_true", help="CI: 2 short violations (not judged)")
    args = ap.parse_args(argv)
    if args.smoke:
        args.violations, args.length_s = 2, 3.0
    if not args.video.is_file():
        raise SystemExit(f"video not found: {args.video} (set SITEWARDEN_ASSETS or --video)")
    with av.open(str(args.video)) as c:
        s = c.streams.video[0]
        duration_s = float((s.duration or 0) * (s.time_base or 0)) or float(c.duration or 0) / 1e6
        codec, wh = s.codec_context.name, (s.codec_context.width, s.codec_context.height)
    ready: list[EvidenceReady] = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg = StorageConfig(directory=tmp, min_free_bytes=0, evidence=EvidenceConfig())
        rec = EvidenceRecorder(cfg, "bench", "bench", {ZONE.zone_id: ZONE},
                               on_ready=ready.append)
        script = _script(duration_s, args.violations, args.length_s, cfg.evidence.pre_s)
        cpu = _replay(args.video, rec, script)
        stats = rec.stats.snapshot()
        clips = [r.evidence["clip"] for r in ready if r.evidence.get("clip")]
        decode = [_decode_cpu_s(c["path"]) for c in clips]
        source = _source_packets(args.video)
        copies = [_clip_is_stream_copy(c["path"], source) for c in clips]
    n = max(1, len(ready))
    per_packet_us = 1e6 * cpu["add_packet_cpu_s"] / max(1, stats["packets"])
    per_update_ms = 1000 * cpu["on_update_cpu_s"] / max(1, 2 * len(ready))
    remux_ms = 1000 * stats["remux_cpu_s"] / max(1, len(clips))
    decode_ms = 1000 * sum(d for d, _ in decode) / max(1, len(decode))
    result = {
        "benchmark": "evidence",
        "video": args.video.name, "codec": codec, "resolution_wh": wh,
        "violations": len(ready), "clips": len(clips),
        "mean_clip_s": round(sum(c["duration_s"] for c in clips) / max(1, len(clips)), 3),
        "mean_clip_bytes": round(sum(c["size"] for c in clips) / max(1, len(clips))),
        "jpeg_cpu_ms_per_violation": round(1000 * stats["jpeg_cpu_s"] / n, 3),
        "remux_cpu_ms_per_violation": round(remux_ms, 3),
        "decode_same_clip_cpu_ms": round(decode_ms, 3),
        "decode_to_remux_ratio": round(decode_ms / remux_ms, 1) if remux_ms else None,
        "clips_are_stream_copies": all(copies) and bool(copies),
        "add_packet_cpu_us_per_packet": round(per_packet_us, 2),
        "on_update_cpu_ms_per_call": round(per_update_ms, 3),
        "python": platform.python_version(), "pyav": av.__version__, "machine": platform.machine(),
    }
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return result


if __name__ == "__main__":
    main()
