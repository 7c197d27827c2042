"""A plain-text table of the violations found in a list of events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from publisher.events import Event


def summarize_violations(events: Iterable[Event]) -> str:
    rows: dict[str, dict[str, Any]] = {}
    for ev in events:
        v = ev.violation
        if v is None:
            continue
        row = rows.setdefault(v.violation_id, {"zone": v.zone_id, "kind": v.kind,
                                               "start": v.started_at, "end": None, "max": 0,
                                               "src": v.source_time_s})
        row["max"] = max(row["max"], v.max_count)
        if v.ended_at:
            row["end"] = v.ended_at
    header = f"{'zone':<20} {'kind':<12} {'start':<29} {'end':<29} {'dur_s':>7} {'max':>4}"
    lines = [header, "-" * len(header)]
    for row in sorted(rows.values(), key=lambda r: (r["src"], r["zone"])):
        dur = ""
        if row["end"]:
            delta = datetime.fromisoformat(row["end"]) - datetime.fromisoformat(row["start"])
            dur = f"{delta.total_seconds():.1f}"
        lines.append(
            f"{row['zone']:<20} {row['kind']:<12} {row['start']:<29} "
            f"{row['end'] or '(open)':<29} {dur:>7} {row['max']:>4}"
        )
    lines.append(f"{len(rows)} violation(s)")
    return "\n".join(lines)
