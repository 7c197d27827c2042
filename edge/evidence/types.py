"""Plain data passed around by the evidence writer."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class PacketRecord:
    """One compressed packet of the main stream, detached from its container.

    `pts`/`dts` are in the stream's time base; `t_s`/`dts_s` are the same instants on the
    caller's source clock (stream time plus the offset given to `set_stream`).
    """

    pts: int
    dts: int
    duration: int
    keyframe: bool
    t_s: float
    dts_s: float
    data: bytes


@dataclass(frozen=True)
class EvidenceReady:
    """Evidence of one violation is complete: every file it references exists."""

    violation_id: str
    camera_id: str
    zone_id: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class EvidenceFile:
    """One complete evidence file of a violation, as handed to the uploader."""

    path: Path
    sha256: str
    size: int


@dataclass
class EvidenceStats:
    """Counters of one camera's evidence writer; read them with `snapshot()`."""

    packets: int = 0
    packets_without_ts: int = 0
    ring_dropped_packets: int = 0
    snapshots_written: int = 0
    clips_written: int = 0
    clips_empty: int = 0
    queue_drops: int = 0
    write_errors: int = 0
    disk_full: int = 0
    bytes_written: int = 0
    jpeg_cpu_s: float = 0.0
    remux_cpu_s: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **deltas: float) -> None:
        with self._lock:
            for name, d in deltas.items():
                setattr(self, name, getattr(self, name) + d)

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name[0] != "_"}
