"""Free space on the disks the box writes to, checked by the 1 Hz housekeeping.

A disk with less than `min_free_bytes` (at least 1 MiB) free is full for the box: the part
`disk` turns degraded (reason `disk_full`, with the parts that live on it), the oldest
delivered evidence is deleted to make room (events matter more than clips: evidence of
violations the broker has not acknowledged is kept), and the part is ok again by itself when
space comes back. Writers that fail meanwhile report their own part (outbox, evidence).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FLOOR_BYTES = 1 << 20
Report = Callable[[str, str, dict[str, Any]], None]


class DiskWatch:
    def __init__(
        self,
        paths: Mapping[str, Path],
        min_free_bytes: int,
        report: Report,
        make_room: Callable[[int], object] | None = None,
    ) -> None:
        """`paths`: part name → a path it writes under (outbox, evidence, local store)."""
        self.paths = dict(paths)
        self.min_free_bytes = max(min_free_bytes, FLOOR_BYTES)
        self._report = report
        self._make_room = make_room
        self._cleaner: threading.Thread | None = None

    def check(self) -> None:
        low: dict[str, dict[str, Any]] = {}
        for device, (path, parts) in self._filesystems().items():
            free = _free_bytes(path)
            if free is not None and free < self.min_free_bytes:
                low[device] = {"path": str(path), "free_bytes": free, "parts": parts}
        if not low:
            self._report("disk", "ok", {})
            return
        affected = sorted({p for d in low.values() for p in d["parts"]})
        self._report("disk", "degraded", {"reason": "disk_full", "affected": affected,
                                          "disks": list(low.values())})
        need = max(self.min_free_bytes - int(d["free_bytes"]) for d in low.values())
        self._clean(need)

    def _filesystems(self) -> dict[str, tuple[Path, list[str]]]:
        out: dict[str, tuple[Path, list[str]]] = {}
        for part, path in self.paths.items():
            existing = _existing(path)
            if existing is None:
                continue
            try:
                dev = str(os.stat(existing).st_dev)
            except OSError:
                continue
            out.setdefault(dev, (existing, []))[1].append(part)
        return out

    def _clean(self, need_bytes: int) -> None:
        """Delete oldest delivered evidence in the background (rmtree may take a while)."""
        if self._make_room is None or (self._cleaner is not None and self._cleaner.is_alive()):
            return
        self._cleaner = threading.Thread(target=self._make_room, args=(need_bytes,),
                                         name="make-room", daemon=True)
        self._cleaner.start()


def _existing(path: Path) -> Path | None:
    for p in (path, *path.parents):
        if p.exists():
            return p
    return None


def _free_bytes(path: Path) -> int | None:
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize
