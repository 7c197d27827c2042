"""Replay throughput on the vtest clip next to two ceilings measured in the same run.

    python benchmarks/replay.py [--model PATH] [--video PATH] [--threads N]

Ceilings: decoding alone (demux + decode + BGR conversion of the sampled frames) and
inference alone (the same sampled frames, already decoded, through the same model and
threads). Replay overlaps the two, so its time should approach the larger ceiling
(target: at most 1.15 × it). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from edge.assets import assets_dir
from edge.config import parse_config
from edge.replay import ReplayOptions, run_replay
from edge.video.file_source import FileSource, SampledFrame
from models.detector import Detector


def _site(model: Path, video: Path, fps: float, threads: int) -> Any:
    text = f"""
site_id: bench
box_id: bench
timezone: UTC
detector: {{model: "{model}", threads: {threads}}}
cameras: [{{id: cam, url: "{video}", analysis_fps: {fps}}}]
zones:
  - {{id: walkway, camera: cam, kind: danger_zone,
      points: [[0.0, 0.5], [0.5, 0.5], [0.5, 1.0], [0.0, 1.0]]}}
  - {{id: post, camera: cam, kind: duty_post, absence_s: 10,
      points: [[0.5, 0.5], [1.0, 0.5], [1.0, 1.0], [0.5, 1.0]]}}
"""
    return parse_config(text)


def decode_alone(video: Path, fps: float) -> tuple[float, list[Any]]:
    t0 = time.perf_counter()
    frames = [
        x for x in FileSource(video, fps).packets_and_frames() if isinstance(x, SampledFrame)
    ]
    return time.perf_counter() - t0, frames


def inference_alone(detector: Detector, frames: list[SampledFrame]) -> float:
    detector.detect(frames[0].image_bgr)  # warm-up outside the timing
    t0 = time.perf_counter()
    for f in frames:
        detector.detect(f.image_bgr)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=assets_dir() / "models" / "yolox_nano.onnx")
    ap.add_argument("--video", type=Path, default=assets_dir() / "video" / "vtest_480x360.mp4")
    ap.add_argument("--fps", type=float, default=5.0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    cfg = _site(args.model, args.video, args.fps, args.threads)
    detector = Detector.open(args.model, threads=args.threads)
    decode_s, frames = decode_alone(args.video, args.fps)
    infer_s = inference_alone(detector, frames)
    del frames
    t0 = time.perf_counter()
    result = run_replay(cfg, ReplayOptions("cam", args.video), detector, [], None)
    replay_s = time.perf_counter() - t0
    ceiling_s = max(decode_s, infer_s)
    out = {
        "benchmark": "replay",
        "video": args.video.name,
        "model": args.model.name,
        "threads": args.threads,
        "analysis_fps": args.fps,
        "frames_decoded": result.frames_decoded,
        "frames_analysed": result.frames_analysed,
        "source_duration_s": round(result.duration_s, 2),
        "decode_alone_s": round(decode_s, 3),
        "inference_alone_s": round(infer_s, 3),
        "replay_s": round(replay_s, 3),
        "replay_over_ceiling": round(replay_s / ceiling_s, 3),
        "target_max_ratio": 1.15,
        "replay_x_realtime": round(result.duration_s / replay_s, 2),
        "events": len(result.events),
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
