"""The preview's worker process: draft zones over recorded footage, through `run_replay`.

It runs in a process of its own at a lower CPU priority (os.nice), so that a preview never
takes frames from the live cameras: the kernel gives the box's own threads the CPU first
and the preview what is left. The detector sessions are opened once and kept for the next
preview. Messages over the pipe:

    parent -> worker   PreviewJob | ("warm", site) | None (quit)
    worker -> parent   ("warmed", seconds) after a warm-up;
                       ("progress", source_time_s) ... then ("done", outcome) | ("error", text)
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from zones.spec import ZoneSpec
from zones.types import ViolationUpdate

log = logging.getLogger(__name__)
PROGRESS_EVERY_S = 0.5
IDLE_EXIT_S = 900.0  # the box starts a new worker for the next preview


@dataclass(frozen=True)
class PreviewJob:
    site: dict[str, Any]  # the site config (draft zones in) as JSON: validated by the parent
    camera_id: str
    source: str  # a video file
    snapshot_dir: str
    until_s: float | None = None
    start_at_ts: float | None = None  # wall time of the first frame; None: see _origin


@dataclass
class PreviewOutcome:
    violations: list[dict[str, Any]] = field(default_factory=list)
    frames_analysed: int = 0
    duration_s: float = 0.0
    elapsed_s: float = 0.0
    cpu_s: float = 0.0  # the worker's own CPU time for this preview (decode + inference)


class SnapshotTap:
    """Evidence for a preview: the annotated picture of each violation's first frame, as a
    JPEG named after the violation; no clips (the footage is already on the box)."""

    def __init__(self, zones: Mapping[str, ZoneSpec], folder: Path, quality: int = 80) -> None:
        self.zones = dict(zones)
        self.folder = folder
        self.quality = quality
        self.written: dict[str, str] = {}

    def set_stream(self, stream: Any, source_offset_s: float = 0.0) -> None:
        return None

    def add_packet(self, packet: Any) -> None:
        return None

    def on_update(self, update: ViolationUpdate, frame_bgr: np.ndarray | None,
                  source_time_s: float, wall_time: datetime) -> None:
        if update.phase != "started" or frame_bgr is None:
            return
        from edge.evidence.snapshot import annotate, encode_jpeg

        img = annotate(frame_bgr, self.zones.get(update.zone_id), update, wall_time)
        name = f"{update.violation_id}.jpg"
        (self.folder / name).write_bytes(encode_jpeg(img, self.quality))
        self.written[update.violation_id] = name

    def poll(self, source_time_s: float) -> list[Any]:
        return []

    def finish(self, timeout_s: float | None = None) -> list[Any]:
        return []

    def set_zones(self, zones: Mapping[str, ZoneSpec]) -> None:
        self.zones = dict(zones)

    def stop(self, timeout_s: float = 10.0) -> None:
        return None


def summarize(events: list[dict[str, Any]], snapshots: Mapping[str, str]) -> list[dict[str, Any]]:
    """One record per violation, in order of start: zone, kind, times, counts, snapshot."""
    out: dict[str, dict[str, Any]] = {}
    for ev in events:
        d = ev.get("data") or {}
        if d.get("phase") not in ("started", "updated", "ended") or "violation_id" not in d:
            continue
        v = out.setdefault(d["violation_id"], {
            "violation_id": d["violation_id"], "zone_id": d["zone_id"], "kind": d["kind"],
            "zone_label": d.get("zone_label", ""), "started_at": d["started_at"],
            "ended_at": None, "source_time_s": d["source_time_s"], "end_source_time_s": None,
            "max_count": 0, "end_reason": None, "open_at_end": False,
            "snapshot": snapshots.get(d["violation_id"])})
        v["max_count"] = max(v["max_count"], int(d.get("max_count") or 0))
        if d["phase"] == "ended":
            v["ended_at"] = d.get("ended_at")
            v["end_source_time_s"] = d["source_time_s"]
            v["end_reason"] = d.get("reason")
            v["open_at_end"] = d.get("reason") == "stream_end"
    return sorted(out.values(), key=lambda v: (v["source_time_s"], v["zone_id"]))


# ---------------------------------------------------------------------- the process


_sessions: dict[str, Any] = {}


def _detectors(cfg: Any) -> list[Any]:
    """One set of sessions per detector config, kept for the next preview."""
    from edge.core.detect import open_detectors

    key = json.dumps(cfg.detector.model_dump(mode="json"), sort_keys=True)
    if key not in _sessions:
        _sessions.clear()  # another model: the old sessions' memory goes
        _sessions[key] = open_detectors(cfg)[0]
    return list(_sessions[key])


def _origin(job: PreviewJob, cfg: Any) -> datetime | None:
    """Wall time of the footage's start: given (recent packets), else the file's creation
    time (run_replay reads it), else now, so that schedules are judged on today."""
    import av

    from edge.config.timezone import site_timezone

    tz = site_timezone(cfg.timezone)
    if job.start_at_ts is not None:
        return datetime.fromtimestamp(job.start_at_ts, tz)
    with av.open(job.source) as container:
        created = container.metadata.get("creation_time")
    return None if created else datetime.now(tz)


def run_job(job: PreviewJob, report: Any = None) -> PreviewOutcome:
    """The preview itself (in the worker; tests call it directly too)."""
    from edge.config import SiteConfig
    from edge.core.metric import zone_specs
    from edge.replay import ReplayOptions, run_replay

    started, cpu0 = time.monotonic(), time.process_time()
    cfg = SiteConfig.model_validate(job.site)
    folder = Path(job.snapshot_dir)
    folder.mkdir(parents=True, exist_ok=True)
    tap = SnapshotTap({s.zone_id: s for s in zone_specs(cfg, job.camera_id)}, folder)
    last = [0.0]

    def progress(t_s: float, _dets: int, _tracks: int) -> None:
        now = time.monotonic()
        if report is not None and now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            report(t_s)

    opts = ReplayOptions(job.camera_id, Path(job.source), start_at=_origin(job, cfg),
                         until_s=job.until_s, on_frame=progress)
    result = run_replay(cfg, opts, _detectors(cfg), [], tap)
    events = [e.to_wire() for e in result.events]
    return PreviewOutcome(summarize(events, tap.written), result.frames_analysed,
                          result.duration_s, time.monotonic() - started,
                          time.process_time() - cpu0)


def _warm(conn: Connection, site: dict[str, Any]) -> None:
    from edge.config import SiteConfig

    t0 = time.monotonic()
    try:
        _detectors(SiteConfig.model_validate(site))
        conn.send(("warmed", time.monotonic() - t0))
    except Exception:
        log.exception("preview worker: the detector could not be opened")


def main(conn: Connection, niceness: int) -> None:
    """The worker's loop: one job at a time until None or the pipe closes."""
    if niceness:
        try:
            os.nice(niceness)
        except OSError:
            log.warning("preview worker: cannot lower its priority")
    while True:
        try:
            if not conn.poll(IDLE_EXIT_S):
                return  # nobody previewed for a while: the detector's memory goes back
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        if isinstance(job, tuple) and job[0] == "warm":  # open the detector before a preview
            _warm(conn, job[1])
            continue
        try:
            outcome = run_job(job, lambda t: conn.send(("progress", t)))
            conn.send(("done", outcome))
        except Exception as e:  # the parent shows it; the worker stays for the next job
            log.exception("preview failed")
            conn.send(("error", f"{type(e).__name__}: {e}"))


def _entry(argv: list[str]) -> None:
    """`python -m edge.web.preview_worker FD NICENESS`: started by PreviewWorker with one end
    of a socket pair (a plain subprocess, not multiprocessing's spawn, which would import the
    parent's __main__ again: `python -m edge.cli run` would start a second box)."""
    import sys
    from multiprocessing.connection import Connection as Conn

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="preview worker: %(levelname)s %(name)s: %(message)s")
    main(Conn(int(argv[1])), int(argv[2]))


if __name__ == "__main__":
    import sys

    # Through the module's own name: what is pickled back (PreviewOutcome) must be
    # edge.web.preview_worker's class, which the box can load, not __main__'s.
    from edge.web import preview_worker

    preview_worker._entry(sys.argv)
