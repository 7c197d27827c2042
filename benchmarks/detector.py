"""Detector latency and throughput on CPU, as JSON.

Per model: detect() latency (pre-processing + inference + decoding + NMS) and inference alone
(session.run on a prepared tensor), p50/p95 in ms, at 1 and 2 intra-op threads; and frames per
second of two ways to use 2 threads: two 1-thread sessions fed by two threads ("2x1") against
one 2-thread session ("1x2"). The runtime uses the faster one to size its session pool.

    python benchmarks/detector.py [--models yolox_nano,...] [--iterations 30] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort

from edge.assets import assets_dir
from models.detector import Detector
from models.manifest import load_manifest

Image = np.ndarray
MIN_SECONDS = 1.0  # per latency series; throughput runs aim at 2 s per configuration


def _percentiles(samples_s: Sequence[float]) -> dict[str, float]:
    ms = np.asarray(samples_s) * 1000
    return {
        "p50": round(float(np.percentile(ms, 50)), 2),
        "p95": round(float(np.percentile(ms, 95)), 2),
    }


def _time_each(fn: Callable[[int], object], n: int, warmup: int) -> list[float]:
    """At least n timed calls and at least MIN_SECONDS of them (fast models get more)."""
    for i in range(warmup):
        fn(i)
    samples: list[float] = []
    start = time.perf_counter()
    while len(samples) < n or time.perf_counter() - start < MIN_SECONDS:
        t0 = time.perf_counter()
        fn(len(samples))
        samples.append(time.perf_counter() - t0)
    return samples


def _latency(path: Path, images: Sequence[Image], threads: int, n: int) -> dict[str, Any]:
    det = Detector.open(path, threads=threads)
    blob = det.preprocess(images[0])[None]  # inference alone: one fixed tensor
    detect_s = _time_each(lambda i: det.detect(images[i % len(images)]), n, warmup=3)
    infer_s = _time_each(lambda _: det.infer(blob), n, warmup=3)
    return {"detect_ms": _percentiles(detect_s), "infer_ms": _percentiles(infer_s)}


def _fps(detectors: Sequence[Detector], images: Sequence[Image], frames: int,
         batch: int = 1) -> float:
    """Frames per second with one worker thread per detector sharing `frames` images,
    `batch` images per session call (the runtime's scheduler batches frames of several
    cameras this way; 1: detect() one by one)."""
    calls = max(1, frames // (len(detectors) * batch))

    def step(det: Detector, k: int) -> None:
        if batch == 1:
            det.detect(images[k % len(images)])
        else:
            det.detect_batch([images[(k + j) % len(images)] for j in range(batch)])

    def work(det: Detector, offset: int) -> None:
        for i in range(calls):
            step(det, offset + i * batch)

    for det in detectors:  # warm-up outside the timed region
        step(det, 0)
    workers = [threading.Thread(target=work, args=(d, k * calls * batch))
               for k, d in enumerate(detectors)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return round(calls * batch * len(detectors) / (time.perf_counter() - t0), 2)


def bench_batching(path: Path, images: Sequence[Image], frames: int,
                   unbatched_fps: float) -> dict[str, Any]:
    """Frames per second with the batch axis made dynamic (`sitewarden models batchable`):
    one 2-thread session (what the runtime opens for a batchable model) and two 1-thread
    sessions, at several batch sizes, against the best unbatched pool."""
    from models.batching import make_batch_dynamic
    from models.errors import ModelError

    with tempfile.TemporaryDirectory() as tmp:
        dynamic = Path(tmp) / path.name
        try:
            make_batch_dynamic(path, dynamic)
        except ModelError as e:
            return {"refused": str(e)}
        fps: dict[str, float] = {}
        for batch in (1, 2, 4, 8):
            fps[f"1x2 batch {batch}"] = _fps(
                [Detector.open(dynamic, threads=2)], images, frames, batch)
        fps["2x1 batch 4"] = _fps(
            [Detector.open(dynamic, threads=1) for _ in range(2)], images, frames, 4)
    best = max(fps, key=lambda k: fps[k])
    return {"throughput_fps": fps, "best": best,
            "best_over_unbatched": round(fps[best] / unbatched_fps, 3)}


def bench_model(path: Path, images: Sequence[Image], n: int) -> dict[str, Any]:
    info = Detector.open(path).info
    result: dict[str, Any] = {"adapter": info.adapter, "input_wh": list(info.input_wh)}
    result["threads"] = {str(t): _latency(path, images, t, n) for t in (1, 2)}
    p50_s = result["threads"]["1"]["detect_ms"]["p50"] / 1000
    frames = max(2 * n, 2 * int(MIN_SECONDS / max(p50_s, 1e-4)))  # about 2 s at 1 thread
    one_by_two = _fps([Detector.open(path, threads=2)], images, frames)
    two_by_one = _fps([Detector.open(path, threads=1) for _ in range(2)], images, frames)
    result["throughput_fps"] = {"1x2": one_by_two, "2x1": two_by_one}
    result["better_pool"] = "2x1" if two_by_one > one_by_two else "1x2"
    result["batching"] = bench_batching(path, images, frames, max(one_by_two, two_by_one))
    return result


def _load_images(folder: Path, limit: int) -> list[Image]:
    images = []
    for p in sorted(folder.glob("*.jpg"))[:limit]:
        image = cv2.imread(str(p))
        if image is not None:
            images.append(image)
    if not images:
        raise SystemExit(f"no images found in {folder}")
    return images


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(load_manifest()), help="comma-separated")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--assets", type=Path, default=None, help="default: edge.assets_dir()")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--smoke", action="store_true",
                        help="CI: one model, 2 iterations (figures not judged)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.models, args.iterations = "yolox_nano", 2
    root = args.assets or assets_dir()
    images = _load_images(root / "images", limit=8)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(),
            "onnxruntime": ort.__version__,
            "providers": ["cpu"],
            # Other work on the box skews the figures; recorded so a reader can tell.
            "load_average_1m": round(os.getloadavg()[0], 2),
        },
        "iterations": args.iterations,
        "images": len(images),
        "models": {},
    }
    for name in args.models.split(","):
        entry = load_manifest()[name]
        report["models"][name] = bench_model(root / "models" / entry.file, images, args.iterations)
    text = json.dumps(report, indent=2)
    sys.stdout.write(text + "\n")
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
