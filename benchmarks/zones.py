"""Rule evaluation cost per frame: 20 zones x 50 people (target: under 1 ms per frame).

    python benchmarks/zones.py [--frames N] [--people N] [--seed N]

The 20 zones mix every kind and anchor (8 danger zones of which 2 use the overlap anchor
and 2 the centre anchor, 4 headcounts, 4 duty posts, 2 lines, 2 seals, a schedule on
half of them, one exclusion mask); 50 people walk at random, so violations start, update
and end during the run. Times `CameraRules.step` only (geometry + rules + lifecycle).
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zones.engine import CameraRules
from zones.spec import AnchorKind, ScheduleWindow, ZoneSpec
from zones.types import Track

CAM = "bench"
T0 = 1_700_000_000.0


def _polygon(rng: np.random.Generator) -> tuple[tuple[float, float], ...]:
    cx, cy = rng.uniform(0.2, 0.8, 2)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 6))
    r = rng.uniform(0.08, 0.2, 6)
    return tuple((float(cx + r[i] * np.cos(a)), float(cy + r[i] * np.sin(a)))
                 for i, a in enumerate(ang))


def make_zones(rng: np.random.Generator) -> list[ZoneSpec]:
    night = (ScheduleWindow(days=(1, 2, 3, 4, 5, 6, 7), start_min=0, end_min=1440),)
    specs: list[ZoneSpec] = []
    for i in range(8):
        anchor: AnchorKind = "overlap" if i < 2 else ("center" if i < 4 else "bottom_center")
        specs.append(ZoneSpec(f"danger{i}", CAM, "danger_zone", _polygon(rng), anchor=anchor,
                              schedule=night if i % 2 else (), update_interval_s=1.0))
    for i in range(4):
        specs.append(ZoneSpec(f"count{i}", CAM, "headcount", _polygon(rng), max_persons=3,
                              schedule=night if i % 2 else ()))
    for i in range(4):
        specs.append(ZoneSpec(f"post{i}", CAM, "duty_post", _polygon(rng), absence_s=5.0,
                              return_s=2.0, schedule=night if i % 2 else ()))
    for i, kind in enumerate(["line", "line", "seal", "seal"]):
        y = 0.2 + 0.2 * i
        specs.append(ZoneSpec(f"{kind}{i}", CAM, kind, ((0.1, y), (0.9, y + 0.05)),  # type: ignore[arg-type]
                              schedule=night if i % 2 else ()))
    return specs


def walk(rng: np.random.Generator, people: int, frames: int) -> list[list[Track]]:
    # Walking pace: about 0.05 frame widths per second at 5 fps, drifting direction.
    pos = rng.uniform(0.05, 0.95, (people, 2))
    vel = rng.normal(0, 0.01, (people, 2))
    out: list[list[Track]] = []
    for _ in range(frames):
        vel = 0.95 * vel + rng.normal(0, 0.003, vel.shape)
        pos = np.clip(pos + vel, 0.02, 0.98)
        vel[(pos <= 0.02) | (pos >= 0.98)] *= -1
        seen = rng.uniform(size=people) > 0.1  # 10 % detector misses
        out.append([
            Track(i, (float(x - 0.02), float(y - 0.12), float(x + 0.02), float(y)), 0.8)
            for i, (x, y) in enumerate(pos) if seen[i]
        ])
    return out


def _summary(ms: np.ndarray) -> dict[str, float]:
    return {
        "p50": round(float(np.percentile(ms, 50)), 4),
        "p95": round(float(np.percentile(ms, 95)), 4),
        "max": round(float(ms.max()), 4),
        "mean": round(float(ms.mean()), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=3000)
    ap.add_argument("--people", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--smoke", action="store_true", help="CI: 200 frames (not judged)")
    args = ap.parse_args()
    if args.smoke:
        args.frames = 200
    rng = np.random.default_rng(args.seed)
    specs = make_zones(rng)
    rules = CameraRules(CAM, specs, exclusions_norm=[[(0.0, 0.0), (0.1, 0.0), (0.1, 0.1)]],
                        tz_name="Asia/Shanghai")
    seq = walk(rng, args.people, args.frames + 100)
    state = rules.initial_state()
    for i, tracks in enumerate(seq[:100]):  # warm-up
        state, _ = rules.step(state, tracks, T0 + i * 0.2)
    times_ms = np.empty(args.frames)
    cpu_ms = np.empty(args.frames)  # this thread's CPU time: less disturbed by other load
    phases: dict[str, int] = {"started": 0, "updated": 0, "ended": 0}
    for i, tracks in enumerate(seq[100:]):
        t = T0 + (100 + i) * 0.2
        c0, t0 = time.thread_time(), time.perf_counter()
        state, ups = rules.step(state, tracks, t)
        times_ms[i] = (time.perf_counter() - t0) * 1e3
        cpu_ms[i] = (time.thread_time() - c0) * 1e3
        for u in ups:
            phases[u.phase] += 1
    result = {
        "benchmark": "zones.step",
        "zones": len(specs),
        "people_per_frame": args.people,
        "frames": args.frames,
        "ms_per_frame": _summary(times_ms),
        "cpu_ms_per_frame": _summary(cpu_ms),
        "target_ms": 1.0,
        "updates": phases,
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
