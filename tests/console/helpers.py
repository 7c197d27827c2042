"""Event makers and small tools for the console tests."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

from publisher.events import (
    EvidenceRef,
    TrackedObject,
    ViolationData,
    box_event,
    camera_event,
    violation_event,
)

SITE, BOX, CAMERA, ZONE = "plant-7", "edge-01", "gate-north", "press-area"
TZ = timezone(timedelta(hours=8))
T0 = 1_773_451_613.0  # 2026-03-14T09:26:53+08:00


class Clock:
    """A settable clock for Store(clock=...)."""

    def __init__(self, now: float = T0 + 3600) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, TZ).isoformat(timespec="milliseconds")


def phase(
    vid: str, ph: str, t_s: float, *, n: int = 0, started_s: float | None = None,
    ended_s: float | None = None, count: int = 1, max_count: int | None = None,
    reason: str = "", ready: bool = False, site: str = SITE, box: str = BOX,
    camera: str = CAMERA, zone: str = ZONE, kind: str = "danger_zone",
    sequence: int | None = None,
) -> dict[str, Any]:
    """One violation phase event as the edge builds it (`n` numbers successive updates)."""
    start = t_s if started_s is None else started_s
    evidence = EvidenceRef(
        ready=ready, snapshot={"url": f"/evidence/{vid}/snapshot.jpg"},
        clip={"url": f"/evidence/{vid}/clip.mp4"} if ready else None,
    )
    data = ViolationData(
        violation_id=vid, phase=ph, site_id=site, box_id=box, camera_id=camera,
        zone_id=zone, zone_label=zone.replace("-", " ").title(), kind=kind,
        alarm_type="intrusion", count=count,
        max_count=count if max_count is None else max_count, started_at=iso(start),
        ended_at=iso(ended_s) if ended_s is not None else None,
        source_time_s=round(t_s - T0, 3), reason=reason,
        objects=[TrackedObject(id=i + 1, box_xyxy_norm=[0.1, 0.2, 0.3, 0.4], score=0.8)
                 for i in range(count)],
        evidence=evidence,
    )
    ev = violation_event(data, datetime.fromtimestamp(t_s, TZ), n).to_wire()
    if sequence is not None:
        ev["sequence"] = str(sequence)
    return ev


def lifecycle(
    vid: str, start_s: float, counts: list[int], *, end: bool = True, evidence: bool = True,
    **kw: Any,
) -> list[dict[str, Any]]:
    """started, one update per extra count, ended, evidence_ready: in emission order."""
    events = [phase(vid, "started", start_s, count=counts[0], **kw)]
    t, top = start_s, counts[0]
    for i, c in enumerate(counts[1:], start=1):
        t += 2.0
        top = max(top, c)
        events.append(phase(vid, "updated", t, n=i, started_s=start_s, count=c,
                            max_count=top, **kw))
    if end:
        t += 5.0
        end_s = t
        events.append(phase(vid, "ended", t, n=len(counts), started_s=start_s, ended_s=end_s,
                            count=0, max_count=top, **kw))
        if evidence:
            t += 10.0
            events.append(phase(vid, "updated", t, n=len(counts) + 1, started_s=start_s,
                                ended_s=end_s, count=0, max_count=top,
                                reason="evidence_ready", ready=True, **kw))
    return events


def camera(state: str, t_s: float, camera_id: str = CAMERA, site: str = SITE,
           box: str = BOX, **detail: Any) -> dict[str, Any]:
    return camera_event(site, box, camera_id, state,  # type: ignore[arg-type]
                        datetime.fromtimestamp(t_s, TZ), detail).to_wire()


def box_health(state: str, t_s: float, site: str = SITE, box: str = BOX,
               **detail: Any) -> dict[str, Any]:
    return box_event(site, box, state, datetime.fromtimestamp(t_s, TZ),  # type: ignore[arg-type]
                     detail).to_wire()


def decided(
    vid: str, event_id: str, t_s: float, decision: str | None = "confirmed", *,
    action: str = "decided", by: str = "op-box", reason: str | None = None,
    site: str = SITE, box: str = BOX, sequence: int | None = None, **extra: Any,
) -> dict[str, Any]:
    """A sitewarden.review.decided event, as another console sends it."""
    ev: dict[str, Any] = {
        "specversion": "1.0", "id": event_id, "source": f"/sitewarden/{site}/{box}",
        "type": "sitewarden.review.decided", "subject": f"{CAMERA}/{ZONE}", "time": iso(t_s),
        "datacontenttype": "application/json",
        "data": {"violation_id": vid, "site_id": site, "box_id": box, "action": action,
                 "decision": decision, "reason": reason, "decided_by": by,
                 "decided_at": iso(t_s), **extra},
    }
    if sequence is not None:
        ev["sequence"] = str(sequence)
    return ev


def comparable(obj: Any) -> Any:
    """A dataclass as a dict without the fields that record *when the console* wrote it."""
    d = dataclasses.asdict(obj)
    for volatile in ("updated_ts", "created_ts"):
        d.pop(volatile, None)
    return d
