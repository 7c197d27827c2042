"""Violations as the JSON API shows them (the pages render the same items)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from console.store import AuditEntry, PhaseRecord, Violation
from console.web.context import ConsoleContext

# The contract's fields first (issue #11 §8), then what the pages also use.
ITEM_FIELDS = ("violation_id", "site_id", "box_id", "camera_id", "zone_id", "zone_label",
               "kind", "alarm_type", "phase", "started_at", "ended_at", "max_count",
               "last_count", "reason", "decision", "decision_reason", "decision_comment",
               "dispatched_to", "decided_by", "decided_at", "claimed_by", "claimed_at",
               "overdue", "overdue_at", "evidence_ready", "version")


def item(ctx: ConsoleContext, v: Violation) -> dict[str, Any]:
    out = {f: getattr(v, f) for f in ITEM_FIELDS}
    ev = ctx.evidence
    out["snapshot_url"] = ev.url(v, "snapshot") if ev is not None else None
    out["snapshot_raw_url"] = ev.url(v, "snapshot_raw") if ev is not None else None
    out["clip_url"] = ev.url(v, "clip") if ev is not None else None
    out["clip"] = _clip_window(v.evidence)
    out["objects"] = v.objects
    return out


def detail(ctx: ConsoleContext, v: Violation, phases: list[PhaseRecord],
           audit: list[AuditEntry]) -> dict[str, Any]:
    out = item(ctx, v)
    out["phases"] = [{"event_id": p.event_id, "phase": p.phase, "time": p.event_time,
                      "count": p.count, "reason": p.reason} for p in phases]
    out["audit"] = [{k: a for k, a in asdict(e).items() if k != "site_id"} for e in audit]
    return out


def _clip_window(evidence: dict[str, Any]) -> dict[str, Any] | None:
    """Where the violation starts inside its clip (seconds), for the player's marker."""
    clip = evidence.get("clip")
    if not isinstance(clip, dict):
        return None
    keys = ("start_offset_s", "duration_s")
    return {k: clip[k] for k in keys if k in clip} or None
