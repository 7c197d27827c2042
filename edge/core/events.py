"""Rule engine updates → events (publisher.events), with wall-clock and source times."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from publisher.events import (
    Event,
    EvidenceRef,
    TrackedObject,
    ViolationData,
    violation_event,
)
from zones.types import ViolationUpdate


def iso_time(t_s: float, tz: ZoneInfo) -> str:
    return datetime.fromtimestamp(t_s, tz).isoformat(timespec="milliseconds")


@dataclass
class _Known:
    data: ViolationData
    seq: int = 0


@dataclass
class EventBuilder:
    """Keeps the last state of each violation so that evidence can be announced later.

    `offset_s` maps engine time to source time: source_time_s = t_s - offset_s.
    """

    site_id: str
    box_id: str
    tz: ZoneInfo
    zone_labels: Mapping[str, str] = field(default_factory=dict)
    # Newest violations only: a box that runs for months must not keep every one it saw.
    # Evidence is announced within minutes of the end, long before an entry falls out.
    max_known: int = 2000
    _known: OrderedDict[str, _Known] = field(default_factory=OrderedDict)

    def violation(self, u: ViolationUpdate, offset_s: float) -> Event:
        extra = dict(u.extra)
        prev = self._known.get(u.violation_id)
        data = ViolationData(
            violation_id=u.violation_id,
            phase=u.phase,
            site_id=self.site_id,
            box_id=self.box_id,
            camera_id=u.camera_id,
            zone_id=u.zone_id,
            zone_label=self.zone_labels.get(u.zone_id, ""),
            kind=u.kind,
            alarm_type=u.alarm_type,
            count=u.count,
            max_count=u.max_count,
            started_at=iso_time(u.started_t_s, self.tz),
            ended_at=iso_time(u.ended_t_s, self.tz) if u.ended_t_s is not None else None,
            source_time_s=round(u.t_s - offset_s, 3),
            reason=u.reason,
            objects=[
                TrackedObject(
                    id=o.track_id,
                    box_xyxy_norm=[round(v, 4) for v in o.box_xyxy_norm],
                    score=round(o.score, 3),
                )
                for o in u.objects
            ],
            evidence=prev.data.evidence if prev else EvidenceRef(),
            **{k: v for k, v in extra.items() if k not in ViolationData.model_fields},
        )
        known = self._known.setdefault(u.violation_id, _Known(data))
        self._known.move_to_end(u.violation_id)
        while len(self._known) > self.max_known:
            self._known.popitem(last=False)
        known.data = data
        known.seq += 1
        return violation_event(data, datetime.fromtimestamp(u.t_s, self.tz), known.seq)

    def evidence_ready(
        self, violation_id: str, evidence: Mapping[str, Any], t_s: float, offset_s: float
    ) -> Event | None:
        """An `updated` event announcing finished evidence files (None if unknown violation)."""
        known = self._known.get(violation_id)
        if known is None:
            return None
        ref = EvidenceRef.model_validate({**dict(evidence), "ready": True})
        data = known.data.model_copy(
            update={
                "phase": "updated",
                "reason": "evidence_ready",
                "evidence": ref,
                "source_time_s": round(t_s - offset_s, 3),
            }
        )
        known.data = data
        known.seq += 1
        return violation_event(data, datetime.fromtimestamp(t_s, self.tz), known.seq)

    def forget(self, violation_id: str) -> None:
        self._known.pop(violation_id, None)
