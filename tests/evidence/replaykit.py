"""Drive an EvidenceRecorder from a real video the way the replay pipeline does."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import numpy as np

from edge.config.storage import EvidenceConfig, StorageConfig
from edge.evidence import EvidenceReady, EvidenceRecorder
from zones.spec import ZoneSpec
from zones.types import Track, ViolationUpdate

T0_WALL = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
CLOCK_OFFSET_S = 1000.0  # engine clock != source clock, as in a live run

ZONE = ZoneSpec(
    zone_id="press-area",
    camera_id="cam-1",
    kind="danger_zone",
    points_norm=((0.10, 0.30), (0.60, 0.30), (0.60, 0.90), (0.10, 0.90)),
    label="Press area",
)
PERSON = Track(track_id=7, box_xyxy_norm=(0.30, 0.35, 0.40, 0.80), score=0.9)


def storage(tmp: Path, **evidence: object) -> StorageConfig:
    return StorageConfig(
        directory=str(tmp), min_free_bytes=0, evidence=EvidenceConfig(**evidence)  # type: ignore[arg-type]
    )


def update(
    vid: str, phase: str, t_src: float, start_src: float, end_src: float | None = None,
    objects: tuple[Track, ...] = (PERSON,),
) -> ViolationUpdate:
    return ViolationUpdate(
        violation_id=vid, phase=phase, camera_id="cam-1", zone_id=ZONE.zone_id,  # type: ignore[arg-type]
        kind="danger_zone", t_s=t_src + CLOCK_OFFSET_S, started_t_s=start_src + CLOCK_OFFSET_S,
        ended_t_s=None if end_src is None else end_src + CLOCK_OFFSET_S,
        count=len(objects), max_count=len(objects), objects=objects,
    )


def recorder(tmp: Path, threaded: bool = False, **kw: object) -> EvidenceRecorder:
    ev = {k: v for k, v in kw.items() if k in EvidenceConfig.model_fields}
    rest = {k: v for k, v in kw.items() if k not in ev}
    cfg = rest.pop("storage_cfg", None) or storage(tmp, **ev)
    return EvidenceRecorder(
        cfg, "plant-7", "cam-1", {ZONE.zone_id: ZONE}, threaded=threaded, **rest  # type: ignore[arg-type]
    )


@dataclass
class ReplayResult:
    ready: list[EvidenceReady]
    # (source time, ready items) each time poll returned something, to check ordering
    emitted_at: list[tuple[float, list[EvidenceReady]]]


def replay(
    video: Path,
    rec: EvidenceRecorder,
    script: dict[float, list[ViolationUpdate]],
    until_s: float | None = None,
    on_poll: Callable[[float, list[EvidenceReady]], None] | None = None,
) -> ReplayResult:
    """Demux every packet into the recorder, decode frames, fire scripted updates at times."""
    pending = sorted(script.items())
    ready: list[EvidenceReady] = []
    emitted: list[tuple[float, list[EvidenceReady]]] = []
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        rec.set_stream(s)
        for pkt in c.demux(s):
            rec.add_packet(pkt)
            for frame in pkt.decode():
                t = float(frame.time or 0.0)
                if until_s is not None and t > until_s:
                    break
                img: np.ndarray | None = None
                while pending and pending[0][0] <= t + 1e-6:
                    _, ups = pending.pop(0)
                    img = img if img is not None else frame.to_ndarray(format="bgr24")
                    for u in ups:
                        rec.on_update(u, img, t, T0_WALL + timedelta(seconds=t))
                got = rec.poll(t)
                if got:
                    emitted.append((t, got))
                    ready += got
                    if on_poll:
                        on_poll(t, got)
            else:
                continue
            break
        got = rec.finish()
    if got:
        emitted.append((float("inf"), got))
        ready += got
    return ReplayResult(ready, emitted)


def decoded_times(path: str | Path) -> list[float]:
    with av.open(str(path)) as c:
        return [float(f.time) for f in c.decode(c.streams.video[0])]


def keyframe_times(video: Path) -> list[float]:
    with av.open(str(video)) as c:
        s = c.streams.video[0]
        return [float(p.pts * s.time_base) for p in c.demux(s) if p.is_keyframe and p.size]


def all_refs(items: Iterable[EvidenceReady]) -> list[dict[str, object]]:
    out = []
    for r in items:
        for key in ("snapshot", "clip", "best"):
            ref = r.evidence.get(key)
            if isinstance(ref, dict):
                out.append(ref)
                raw = ref.get("raw")
                if isinstance(raw, dict):
                    out.append(raw)
    return out
