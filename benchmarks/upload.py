"""Evidence upload throughput against moto's S3 server on loopback.

    python benchmarks/upload.py [--snapshots 200] [--clips 40] [--clip-mb 1.0] [--smoke]

Queues violation-like folders of snapshot-sized (40 KB) and clip-sized objects through the
Uploader's public API (enqueue_violation, then its own thread), and reports files/s and MB/s
until the queue is empty, and the cost of queueing one violation (a synchronous=FULL commit).
Each object goes up with Content-MD5, its ETag is compared and its sha256 checked first, as on
a box. moto runs in this process (a Python server sharing the GIL with the uploader), so these
figures are the box-side cost with a store that answers instantly, not a MinIO's throughput.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

import boto3
from moto.server import ThreadedMotoServer

from edge.config import SiteConfig
from edge.evidence.files import sha256_file
from edge.evidence.types import EvidenceFile
from edge.evidence.uploader import Uploader

SNAPSHOT_BYTES = 40_000
KEY_ENV, SECRET_ENV = "SW_BENCH_S3_KEY", "SW_BENCH_S3_SECRET"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(directory: Path, endpoint: str, bucket: str) -> SiteConfig:
    return SiteConfig.model_validate({
        "site_id": "bench", "box_id": "edge-01", "detector": {"model": "/none.onnx"},
        "cameras": [{"id": "cam-1", "url": "/none.mp4"}],
        "storage": {"directory": str(directory), "upload": {
            "bucket": bucket, "endpoint_url": endpoint, "access_key_env": KEY_ENV,
            "secret_key_env": SECRET_ENV, "retry_initial_s": 0.1, "retry_max_s": 1.0}},
    })


def _violations(root: Path, n: int, size: int, name: str) -> list[tuple[Path, EvidenceFile]]:
    """n violation folders holding one file of `size` random bytes each."""
    out = []
    for i in range(n):
        vdir = root / "evidence" / "bench" / "cam-1" / "2026-03-14" / f"{name}-{i:05d}"
        vdir.mkdir(parents=True)
        path = vdir / ("clip.mp4" if name == "clip" else "snapshot.jpg")
        path.write_bytes(os.urandom(size))
        out.append((vdir, EvidenceFile(path, sha256_file(path), size)))
    return out


def _run(cfg: SiteConfig, files: list[tuple[Path, EvidenceFile]]) -> dict[str, Any]:
    uploader = Uploader.from_config(cfg)
    assert uploader is not None
    t0 = time.perf_counter()
    for vdir, f in files:
        uploader.enqueue_violation(vdir.name, "cam-1", vdir, [f])
    enqueue_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    while uploader.stats()["pending"]:
        uploader.step()
    upload_s = time.perf_counter() - t0
    stats = uploader.stats()
    uploader.close()
    total = sum(f.size for _, f in files)
    return {
        "files": len(files), "bytes_each": files[0][1].size if files else 0,
        "files_per_s": round(len(files) / upload_s, 1),
        "mb_per_s": round(total / upload_s / 1e6, 2),
        "enqueue_ms_per_violation": round(enqueue_s / max(1, len(files)) * 1e3, 2),
        "requests": stats["requests"], "uploaded": stats["uploaded"],
        "failed_attempts": stats["failed_attempts"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--snapshots", type=int, default=200)
    ap.add_argument("--clips", type=int, default=40)
    ap.add_argument("--clip-mb", type=float, default=1.0, help="clip size (about 15 s of 480p)")
    ap.add_argument("--smoke", action="store_true", help="CI: 20 snapshots, 4 clips (not judged)")
    args = ap.parse_args()
    if args.smoke:
        args.snapshots, args.clips = 20, 4
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ[KEY_ENV], os.environ[SECRET_ENV] = "bench", "bench"
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
            aws_secret_access_key="bench").create_bucket(Bucket="bench-evidence")
        with tempfile.TemporaryDirectory(prefix="sw-bench-upload-") as tmp:
            work = Path(tmp)
            snaps = _violations(work / "s", args.snapshots, SNAPSHOT_BYTES, "snapshot")
            clips = _violations(work / "c", args.clips, int(args.clip_mb * 1e6), "clip")
            result = {
                "benchmark": "upload",
                "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                "python": platform.python_version(),
                "store": "moto ThreadedMotoServer in this process, loopback, path-style",
                "snapshot": _run(_site(work / "s", endpoint, "bench-evidence"), snaps),
                "clip": _run(_site(work / "c", endpoint, "bench-evidence"), clips),
            }
    finally:
        server.stop()
    sys.stdout.write(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
