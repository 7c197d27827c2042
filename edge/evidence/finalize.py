"""Writing one violation's files: snapshots, the clip, meta.json; never raises on disk errors.

Runs on the evidence worker (or inline in replay). Every reference put into an evidence dict
points at a file that has been written completely and renamed into place.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np

from edge.config.storage import StorageConfig
from edge.evidence.files import (
    META_NAME,
    commit_tmp,
    evidence_root,
    file_refs,
    sha256_bytes,
    sha256_file,
    tmp_path,
    url_for,
    violation_dir,
    write_atomic,
    write_json_atomic,
)
from edge.evidence.remux import StreamTemplate, write_mp4
from edge.evidence.retention import Retention
from edge.evidence.snapshot import annotate, clarity, encode_jpeg
from edge.evidence.status import StatusCallback, StatusReporter, is_disk_full
from edge.evidence.types import EvidenceFile, EvidenceReady, EvidenceStats, PacketRecord
from zones.spec import ZoneSpec
from zones.types import ViolationUpdate

log = logging.getLogger(__name__)

_ROOM_MARGIN_BYTES = 1 << 20  # also room for meta.json and the next writes
BestFrame = tuple[float, np.ndarray, ViolationUpdate, datetime]


class UploadHook(Protocol):
    """Where complete evidence goes besides the disk (edge.evidence.uploader.Uploader)."""

    def annotate(self, directory: Path, evidence: dict[str, Any]) -> None:
        """Add object keys to the references before they are announced."""

    def enqueue_violation(
        self, violation_id: str, camera_id: str, directory: Path, files: list[EvidenceFile]
    ) -> int:
        """Queue the violation's complete files for upload."""


@dataclass
class ViolationState:
    violation_id: str
    directory: Path
    zone_id: str
    kind: str
    started_at: datetime
    ended_at: datetime | None = None
    snapshot: dict[str, Any] | None = None
    start_clarity: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def dir_name(self) -> str:
        return self.directory.name


class Finalizer:
    def __init__(
        self,
        storage: StorageConfig,
        site_id: str,
        camera_id: str,
        zones: Mapping[str, ZoneSpec],
        stats: EvidenceStats,
        retention: Retention | None,
        on_status: StatusCallback | None,
        url_prefix: str,
        upload: UploadHook | None = None,
    ) -> None:
        self.cfg = storage.evidence
        self.root = evidence_root(storage.directory)
        self.site_id = site_id
        self.camera_id = camera_id
        self.zones = zones
        self.stats = stats
        self.retention = retention
        self.url_prefix = url_prefix
        self.upload = upload
        self._status = StatusReporter(on_status, f"evidence/{camera_id}")

    def new_state(self, update: ViolationUpdate, started_at: datetime) -> ViolationState:
        d = violation_dir(self.root, self.site_id, self.camera_id, started_at, update.violation_id)
        return ViolationState(update.violation_id, d, update.zone_id, update.kind, started_at)

    # ---- snapshots ---------------------------------------------------------------------
    def write_snapshot(
        self, state: ViolationState, frame: np.ndarray, update: ViolationUpdate, when: datetime
    ) -> None:
        state.start_clarity = clarity(frame, update.objects)
        ref = self._write_jpeg(state, "snapshot.jpg", frame, update, when, annotated=True)
        if ref is None:
            return
        if self.cfg.raw_snapshot:
            raw = self._write_jpeg(state, "snapshot_raw.jpg", frame, update, when, annotated=False)
            if raw is not None:
                ref["raw"] = raw
        state.snapshot = ref
        self.stats.add(snapshots_written=1)
        self._write_meta(state, {"ready": False, "snapshot": ref, "clip": None})

    def _write_jpeg(
        self, state: ViolationState, name: str, frame: np.ndarray, update: ViolationUpdate,
        when: datetime, annotated: bool,
    ) -> dict[str, Any] | None:
        t0 = time.thread_time()
        img = annotate(frame, self.zones.get(update.zone_id), update, when) if annotated else frame
        data = encode_jpeg(img, self.cfg.jpeg_quality)
        self.stats.add(jpeg_cpu_s=time.thread_time() - t0)
        path = state.directory / name
        if not self._guarded(state, name, lambda: write_atomic(path, data), len(data)):
            return None
        self.stats.add(bytes_written=len(data))
        h, w = frame.shape[:2]
        return {**self._ref(path, sha256_bytes(data), len(data)), "width": w, "height": h}

    def _ref(self, path: Path, sha256: str, size: int) -> dict[str, Any]:
        return {"path": str(path), "url": url_for(self.url_prefix, self.root, path),
                "sha256": sha256, "size": size}

    # ---- disk errors -------------------------------------------------------------------
    def _guarded(
        self, state: ViolationState, what: str, write: Callable[[], None], size_hint: int = 0
    ) -> bool:
        """Run a write; on a full disk free room via retention and retry once; never raise."""
        for attempt in (1, 2):
            try:
                write()
            except OSError as e:
                full = is_disk_full(e)
                self.stats.add(write_errors=1, disk_full=int(full))
                if full and attempt == 1 and self._make_room(size_hint):
                    continue
                state.errors.append(f"{what}: {e.strerror or e}")
                self._status.report("degraded", {
                    "reason": "disk_full" if full else "write_error", "camera_id": self.camera_id,
                    "error": str(e), "errors_total": self.stats.write_errors,
                })
                return False
            self._status.report("ok", {"camera_id": self.camera_id})
            return True
        return False

    def _make_room(self, size_hint: int) -> bool:
        if self.retention is None:
            return False
        try:
            return self.retention.make_room(size_hint + _ROOM_MARGIN_BYTES) > 0
        except Exception:
            log.exception("emergency retention sweep failed")
            return False

    # ---- clip and completion -------------------------------------------------------------
    def finalize(
        self, state: ViolationState, template: StreamTemplate | None, packets: list[PacketRecord],
        requested: tuple[float, float | None], best: BestFrame | None, why: str,
    ) -> EvidenceReady:
        clip = self._write_clip(state, template, packets, requested, why)
        best_ref = None
        if best is not None:
            _, frame, update, when = best
            best_ref = self._write_jpeg(state, "best.jpg", frame, update, when, annotated=True)
        evidence: dict[str, Any] = {"ready": True, "snapshot": state.snapshot, "clip": clip}
        if best_ref is not None:
            evidence["best"] = best_ref
        if state.errors:
            evidence["errors"] = list(state.errors)
        _drop_missing(evidence)
        self._upload_step(state, lambda hook: hook.annotate(state.directory, evidence))
        meta_ok = self._write_meta(state, evidence)
        self._upload_step(state, lambda hook: hook.enqueue_violation(
            state.violation_id, self.camera_id, state.directory,
            _complete_files(evidence, state.directory / META_NAME if meta_ok else None)))
        if self.retention is not None:
            self.retention.after_write(_dir_bytes(state.directory))
        return EvidenceReady(state.violation_id, self.camera_id, state.zone_id, evidence)

    def _write_clip(
        self, state: ViolationState, template: StreamTemplate | None, packets: list[PacketRecord],
        requested: tuple[float, float | None], why: str,
    ) -> dict[str, Any] | None:
        if template is None or not packets:
            self.stats.add(clips_empty=1)
            state.errors.append("clip: no video of the main stream covers the violation")
            return None
        final = state.directory / "clip.mp4"
        result: dict[str, Any] = {}

        def write() -> None:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = tmp_path(final)
            try:
                t0 = time.thread_time()
                info = write_mp4(template, packets, tmp)
                self.stats.add(remux_cpu_s=time.thread_time() - t0)
                result.update(sha256=sha256_file(tmp), size=tmp.stat().st_size, info=info)
                commit_tmp(tmp, final)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise

        try:
            if not self._guarded(state, "clip", write, sum(len(p.data) for p in packets)):
                return None
        except (ValueError, av.FFmpegError) as e:  # bad packets: say so, keep the snapshot
            log.warning("%s: clip of %s failed: %s", self.camera_id, state.violation_id, e)
            state.errors.append(f"clip: {e}")
            return None
        info = result["info"]
        self.stats.add(clips_written=1, bytes_written=result["size"])
        return {
            **self._ref(final, result["sha256"], result["size"]),
            "duration_s": round(info.duration_s, 3),
            "start_source_s": round(info.start_source_s, 3),
            "end_source_s": round(info.end_source_s, 3),
            "requested_start_source_s": round(requested[0], 3),
            "requested_end_source_s": None if requested[1] is None else round(requested[1], 3),
            # where the violation starts in the clip (the player marks it): the clip was
            # asked to begin pre_s before the start
            "start_offset_s": round(max(0.0, requested[0] + self.cfg.pre_s
                                        - info.start_source_s), 3),
            "packets": info.packets,
            "closed_by": why,
        }

    def _upload_step(self, state: ViolationState, step: Callable[[UploadHook], object]) -> None:
        """Upload bookkeeping never costs the violation its evidence or its event."""
        if self.upload is None:
            return
        try:
            step(self.upload)
        except Exception:
            log.exception("%s: upload of %s not queued", self.camera_id, state.violation_id)

    def _write_meta(self, state: ViolationState, evidence: dict[str, Any]) -> bool:
        meta = {
            "violation_id": state.violation_id,
            "camera_id": self.camera_id,
            "site_id": self.site_id,
            "zone_id": state.zone_id,
            "kind": state.kind,
            "started_at": state.started_at.isoformat(timespec="milliseconds"),
            "ended_at": None if state.ended_at is None
            else state.ended_at.isoformat(timespec="milliseconds"),
            "evidence": evidence,
        }
        path = state.directory / META_NAME
        return self._guarded(state, META_NAME, lambda: write_json_atomic(path, meta))


def _drop_missing(evidence: dict[str, Any]) -> None:
    """Belt and braces for the contract: never reference a file that is not there."""
    for key in ("snapshot", "clip", "best"):
        ref = evidence.get(key)
        if isinstance(ref, dict) and not Path(ref["path"]).is_file():
            log.error("evidence %s vanished before it was announced: %s", key, ref["path"])
            evidence[key] = None


def _complete_files(evidence: dict[str, Any], meta: Path | None) -> list[EvidenceFile]:
    """The files an upload takes: every reference (written, sha256 known) and meta.json last,
    so that a consumer that waits for meta.json finds the rest already there."""
    files = [EvidenceFile(Path(r["path"]), r["sha256"], int(r["size"]))
             for r in file_refs(evidence)]
    if meta is not None:
        with contextlib.suppress(OSError):
            files.append(EvidenceFile(meta, sha256_file(meta), meta.stat().st_size))
    return files


def _dir_bytes(directory: Path) -> int:
    total = 0
    with contextlib.suppress(OSError):
        for f in directory.iterdir():
            with contextlib.suppress(OSError):
                total += f.stat().st_size
    return total
