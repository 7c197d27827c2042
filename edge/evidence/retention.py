"""Storage budget for evidence: by age and by total size, oldest first.

The unit is one violation's directory. A violation that is still being recorded, or whose
events have not yet reached the broker (`is_pending`), is never deleted: the platform may
still ask for it. When the budget cannot be met because of that, the sweep says so through the
status callback instead of deleting undelivered evidence.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from edge.config.storage import StorageConfig
from edge.evidence.files import TMP_PREFIX, evidence_root
from edge.evidence.status import StatusCallback, StatusReporter

log = logging.getLogger(__name__)

Guard = Callable[[str], bool]
_STALE_TMP_S = 3600.0
# While evidence that must be kept holds the store over budget, new writes re-check at most
# this often (each check stats every stored violation).
_OVER_BUDGET_RECHECK_S = 30.0


@dataclass(frozen=True)
class EvidenceUnit:
    path: Path
    violation_id: str
    mtime: float
    size: int


@dataclass(frozen=True)
class SweepResult:
    deleted: int
    freed_bytes: int
    kept_pending: int
    total_bytes: int
    over_budget: bool


def scan_units(root: Path) -> list[EvidenceUnit]:
    """Violation directories (site/camera/date/violation) with size and newest mtime."""
    units: list[EvidenceUnit] = []
    for vdir in root.glob("*/*/*/*"):
        if not vdir.is_dir():
            continue
        size, mtime = 0, 0.0
        try:
            for f in vdir.iterdir():
                st = f.stat()
                size += st.st_size
                mtime = max(mtime, st.st_mtime)
            mtime = mtime or vdir.stat().st_mtime
        except FileNotFoundError:
            continue  # deleted while we looked
        units.append(EvidenceUnit(vdir, vdir.name, mtime, size))
    units.sort(key=lambda u: (u.mtime, str(u.path)))
    return units


class Retention:
    """One per box (all cameras share the disk); `sweep()` on demand, or `run()` periodically."""

    def __init__(
        self,
        storage: StorageConfig,
        is_pending: Guard | None = None,
        on_status: StatusCallback | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.root = evidence_root(storage.directory)
        self._guards: list[Guard] = [is_pending] if is_pending is not None else []
        self._status = StatusReporter(on_status, "evidence_retention")
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.deleted_total = 0
        # Total size found by the last sweep plus what was written since (None: not known).
        self._known_total: int | None = None
        self._known_over = False
        self._swept_at = -float("inf")
        self.sweeps = 0

    def add_guard(self, guard: Guard) -> None:
        """`guard(violation_id)` True keeps that violation's evidence (pending, in progress)."""
        # Every camera's recorder offers the same publisher guard: ask it once per unit.
        if guard not in self._guards:
            self._guards.append(guard)

    def _kept(self, violation_id: str) -> bool:
        return any(g(violation_id) for g in self._guards)

    def sweep(self) -> SweepResult:
        with self._lock:
            return self._sweep()

    def after_write(self, added_bytes: int) -> SweepResult | None:
        """A violation's evidence was written: sweep only when the size budget or the free
        space may now be broken (None: no sweep needed).

        A sweep stats every stored violation; on a box keeping months of evidence that is
        too much work per clip. The total from the last sweep plus what was written since
        says whether the budget may be exceeded; age is left to the periodic sweep."""
        with self._lock:
            if self._known_total is not None:
                self._known_total += added_bytes
                fits = self._known_total <= self.storage.max_bytes and not self._low_on_disk()
                # (a clock stepped back counts as due)
                since_s = self._clock() - self._swept_at
                if fits or (self._known_over and 0 <= since_s < _OVER_BUDGET_RECHECK_S):
                    return None
            return self._sweep()

    def _sweep(self) -> SweepResult:
        if not self.root.is_dir():
            return SweepResult(0, 0, 0, 0, False)
        now = self._clock()
        self.sweeps += 1
        self._remove_stale_tmp(now)
        units = scan_units(self.root)
        total = sum(u.size for u in units)
        max_age_s = self.storage.max_age_days * 86400.0
        deleted = freed = kept = 0
        for u in units:
            too_old = now - u.mtime > max_age_s
            if not (too_old or total > self.storage.max_bytes or self._low_on_disk()):
                continue
            if self._kept(u.violation_id):
                kept += 1
                continue
            if self._delete(u):
                deleted += 1
                freed += u.size
                total -= u.size
        over = total > self.storage.max_bytes or self._low_on_disk()
        self._known_total, self._known_over, self._swept_at = total, over, now
        self._report(over, total, kept)
        self.deleted_total += deleted
        if deleted:
            log.info("retention: deleted %d violations (%d bytes)", deleted, freed)
        return SweepResult(deleted, freed, kept, total, over)

    def make_room(self, needed_bytes: int) -> int:
        """After a write failed for lack of space: delete oldest unguarded evidence until
        `needed_bytes` are freed, whatever the budget says (statvfs may not know a quota)."""
        with self._lock:
            if not self.root.is_dir():
                return 0
            freed = 0
            for u in scan_units(self.root):
                if freed >= needed_bytes:
                    break
                if not self._kept(u.violation_id) and self._delete(u):
                    freed += u.size
                    self.deleted_total += 1
            log.warning("retention: disk full, freed %d bytes for %d wanted", freed, needed_bytes)
            return freed

    def _low_on_disk(self) -> bool:
        if self.storage.min_free_bytes <= 0:
            return False
        try:
            return shutil.disk_usage(self.root).free < self.storage.min_free_bytes
        except OSError:
            return False

    def _delete(self, unit: EvidenceUnit) -> bool:
        try:
            shutil.rmtree(unit.path)
        except FileNotFoundError:
            return False
        except OSError as e:
            log.warning("retention: cannot delete %s: %s", unit.path, e)
            return False
        for parent in (unit.path.parent, unit.path.parent.parent):
            try:
                parent.rmdir()  # only succeeds when empty
            except OSError:
                break
        return True

    def _remove_stale_tmp(self, now: float) -> None:
        for tmp in self.root.glob(f"*/*/*/*/{TMP_PREFIX}*"):
            try:
                if now - tmp.stat().st_mtime > _STALE_TMP_S:
                    tmp.unlink()
            except OSError:
                continue

    def _report(self, over: bool, total: int, kept: int) -> None:
        if over:
            self._status.report("degraded", {
                "reason": "evidence_budget_exceeded",
                "total_bytes": total,
                "max_bytes": self.storage.max_bytes,
                "kept_pending": kept,
            })
        else:
            self._status.report("ok", {"total_bytes": total})

    def run(self) -> None:
        """Sweep every `storage.retention_interval_s` until `stop()`."""
        self._stop.clear()
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:
                log.exception("retention sweep failed")
            self._stop.wait(self.storage.retention_interval_s)

    def stop(self) -> None:
        self._stop.set()
