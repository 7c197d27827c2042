"""A plain-text table of the violations found in a list of events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any


def summarize_violations(events: Iterable[dict[str, Any]]) -> str:
    rows: dict[str, dict[str, Any]] = {}
    for ev in events:
        data = ev.get("data", {})
        vid = data.get("violation_id")
        if not vid:
            continue
        row = rows.setdefault(vid, {"zone": data["zone_id"], "kind": data["kind"],
                                    "start": data["started_at"], "end": None, "max": 0,
                                    "src": data["source_time_s"]})
        row["max"] = max(row["max"], int(data.get("max_count", 0)))
        if data.get("ended_at"):
            row["end"] = data["ended_at"]
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
