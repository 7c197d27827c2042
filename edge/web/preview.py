"""Draft zones over recorded footage, before they are saved: which violations would they
have raised?

Sources: the box's recent packets of the camera (the evidence ring: only pre_s + lookback_s,
about 15 s by default, of the main stream), or a recording file on the box: the camera's own
file (a file camera) or a file under `storage.directory/recordings`. Never another path: the
request names footage, not files to read.

The draft goes through the same validation as saving (the file with the drafts in, as
`sitewarden check` reads it) and then through `run_replay` in the worker process
(preview_worker.py), with a snapshot of each violation's first frame.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge.config import SiteConfig
from edge.web.preview_pool import PreviewWorker
from edge.web.preview_worker import PreviewJob
from edge.web.service import SiteService, chain, set_camera_key, set_camera_zones

if TYPE_CHECKING:
    from edge.runtime.camera import CameraRunner

log = logging.getLogger(__name__)
RECENT = "recent"
RECORDINGS = "recordings"
VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".avi", ".ts", ".flv", ".h264", ".h265"})
MAX_DURATION_S = 3600.0
KEEP_PREVIEWS = 8  # snapshot folders of the newest previews; older ones are deleted
MAX_LISTED = 100


class SourceRefused(Exception):
    """The footage asked for is not one a preview may read, or there is none."""


class PreviewService:
    def __init__(self, site: SiteService, runner: Callable[[str], CameraRunner],
                 worker: PreviewWorker | None = None, timeout_s: float = 300.0) -> None:
        self.site = site
        self.runner = runner
        self.worker = worker or PreviewWorker()
        self.timeout_s = timeout_s
        self.root = Path(tempfile.mkdtemp(prefix="sitewarden-preview-"))

    def close(self) -> None:
        self.worker.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------------ sources
    def sources(self, cfg: SiteConfig, camera_id: str) -> list[dict[str, Any]]:
        """What a preview of this camera may read, newest recordings first."""
        out: list[dict[str, Any]] = [{"source": RECENT, "kind": "recent"}]
        for f in _camera_files(cfg, camera_id):
            out.append({"source": str(f), "kind": "camera_file"})
        folder = recordings_dir(cfg)
        if folder.is_dir():
            files = [p for p in folder.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES
                     and p.is_file()]
            files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
            out += [{"source": str(p), "kind": "recording"} for p in files[:MAX_LISTED]]
        return out

    def resolve(self, cfg: SiteConfig, camera_id: str, source: str) -> Path:
        """The file `source` names, if a preview of this camera may read it."""
        folder = recordings_dir(cfg)
        p = Path(source).expanduser()
        p = p if p.is_absolute() else folder / p
        try:
            real = p.resolve(strict=True)
        except (OSError, RuntimeError):
            raise SourceRefused(f"{source}: no such file on the box") from None
        allowed_files = {f.resolve() for f in _camera_files(cfg, camera_id)}
        inside = folder.exists() and real.is_relative_to(folder.resolve())
        if not real.is_file() or not (real in allowed_files or inside):
            raise SourceRefused(
                f"{source}: a preview reads the camera's own file or recordings under "
                f"{folder}, nothing else")
        return real

    def recent(self, camera_id: str, folder: Path) -> tuple[Path, float, float]:
        """The camera's recent packets as a file: (path, wall time of its start, seconds)."""
        from edge.evidence.remux import write_mp4

        runner = self.runner(camera_id)
        evidence = runner.evidence
        if evidence is None or not hasattr(evidence, "recent_packets"):
            raise SourceRefused("this box keeps no recent footage of the camera (evidence is "
                                "off); preview a recording instead")
        template, packets = evidence.recent_packets()
        if template is None or not packets:
            raise SourceRefused("no recent footage of this camera yet")
        path = folder / "recent.mp4"
        info = write_mp4(template, packets, path)
        start_wall = runner.source.clock.start_wall_s + packets[0].t_s
        return path, start_wall, info.duration_s

    def warm(self) -> None:
        """Have the worker ready (process started, detector open) before a preview."""
        try:
            self.worker.warm(self.site.config().model_dump(mode="json"))
        except Exception:  # an invalid file or no worker: the preview will say why
            log.debug("preview worker not warmed", exc_info=True)

    # ------------------------------------------------------------------ running
    def run(self, camera_id: str, zones: Sequence[dict[str, Any]],
            exclusions: Sequence[dict[str, Any]] | None, source: str,
            duration_s: float | None) -> dict[str, Any]:
        edits = [set_camera_zones(camera_id, zones)]
        if exclusions is not None:
            edits.append(set_camera_key(camera_id, "exclusions", list(exclusions)))
        _, cfg = self.site.check(chain(*edits))  # Invalid: the drafts' problems
        preview_id = uuid.uuid4().hex[:16]
        folder = self.root / preview_id
        folder.mkdir(parents=True)
        self._prune()
        note = None
        if source == RECENT:
            path, start_ts, seconds = self.recent(camera_id, folder)
            note = (f"the box keeps only the last {seconds:.0f} s of each camera (its evidence "
                    "ring); preview a recording for longer footage")
        else:
            path, start_ts = self.resolve(cfg, camera_id, source), None
        until = min(duration_s, MAX_DURATION_S) if duration_s else MAX_DURATION_S
        job = PreviewJob(cfg.model_dump(mode="json"), camera_id, str(path), str(folder),
                         until_s=until, start_at_ts=start_ts)
        outcome = self.worker.run(job, self.timeout_s)
        for v in outcome.violations:
            name = v.pop("snapshot", None)
            v["snapshot_url"] = f"/api/previews/{preview_id}/{name}" if name else None
        return {"preview_id": preview_id, "camera_id": camera_id, "source": str(path)
                if source != RECENT else RECENT, "note": note,
                "duration_s": round(outcome.duration_s, 3),
                "frames_analysed": outcome.frames_analysed,
                "elapsed_s": round(outcome.elapsed_s, 3), "cpu_s": round(outcome.cpu_s, 3),
                "violations": outcome.violations}

    def snapshot(self, preview_id: str, name: str) -> Path | None:
        if not (_safe_name(preview_id) and _safe_name(name) and name.endswith(".jpg")):
            return None
        p = self.root / preview_id / name
        return p if p.is_file() else None

    def _prune(self) -> None:
        folders = sorted((d for d in self.root.iterdir() if d.is_dir()),
                         key=lambda d: d.stat().st_mtime, reverse=True)
        for d in folders[KEEP_PREVIEWS:]:
            shutil.rmtree(d, ignore_errors=True)


def recordings_dir(cfg: SiteConfig) -> Path:
    return Path(cfg.storage.directory) / RECORDINGS


def _camera_files(cfg: SiteConfig, camera_id: str) -> list[Path]:
    cam = cfg.camera(camera_id)
    urls = [u for u in (cam.url, cam.substream_url) if u and "://" not in u]
    return [Path(u) for u in urls if Path(u).is_file()]


def _safe_name(name: str) -> bool:
    return bool(name) and all(c.isalnum() or c in "-_." for c in name) and ".." not in name
