"""Payloads of the retained status topics and the stats topic (see docs/mqtt.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).astimezone().isoformat(timespec="milliseconds")


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# What the box tells about itself in its status (Publisher.set_box_info): shown by the
# centre's fleet board. Other keys are refused, so a typo does not silently vanish.
BOX_INFO_KEYS = ("version", "model", "config_version")


def check_box_info(info: dict[str, Any]) -> dict[str, Any]:
    """The box info, validated: only BOX_INFO_KEYS, each a short string or None."""
    unknown = set(info) - set(BOX_INFO_KEYS)
    if unknown:
        raise ValueError(f"unknown box info key(s) {sorted(unknown)}; known: "
                         f"{', '.join(BOX_INFO_KEYS)}")
    for key, value in info.items():
        if value is not None and (not isinstance(value, str) or len(value) > 200):
            raise ValueError(f"box info {key} must be a string of at most 200 characters")
    return {k: v for k, v in info.items() if v is not None}


def box_status(
    state: str, site_id: str, box_id: str, *, reason: str | None = None,
    alarms: list[str] | None = None, with_time: bool = True,
    info: dict[str, Any] | None = None, outbox_backlog: int | None = None,
    connected_at: str | None = None,
) -> bytes:
    """`online` / `offline`; the Last Will is built without a time (it is fixed at connect).
    `connected_at` (when the connection began; the same in the Will and in every status
    sent on that connection) lets a consumer order a Will against the statuses of the next
    connection. `info` (version, model, config_version) and `outbox_backlog` (messages not
    yet acknowledged by the broker) are added when given."""
    msg: dict[str, Any] = {"state": state, "site_id": site_id, "box_id": box_id}
    if with_time:
        msg["time"] = now_iso()
    if connected_at is not None:
        msg["connected_at"] = connected_at
    if reason is not None:
        msg["reason"] = reason
    if alarms is not None:
        msg["alarms"] = alarms
    msg.update(info or {})
    if outbox_backlog is not None:
        msg["outbox_backlog"] = outbox_backlog
    return encode(msg)


def camera_status(
    site_id: str, box_id: str, camera_id: str, state: str, detail: dict[str, Any] | None
) -> bytes:
    msg: dict[str, Any] = {
        "site_id": site_id, "box_id": box_id, "camera_id": camera_id, "state": state,
        "time": now_iso(),
    }
    if detail:
        msg["detail"] = detail
    return encode(msg)


def stats_message(
    site_id: str, box_id: str, runtime: dict[str, Any], publisher: dict[str, Any]
) -> bytes:
    msg: dict[str, Any] = {"site_id": site_id, "box_id": box_id, "time": now_iso()}
    msg.update(runtime)
    msg["publisher"] = publisher
    return encode(msg)


def outbox_alarms(
    old: set[str], used: int, over_budget: bool, max_bytes: int, high_water: int
) -> set[str]:
    """The outbox alarms after a change: `outbox_high_water` (cleared below 90 % of the level,
    so it does not flap) and `outbox_full` (over budget with only protected rows)."""
    new = set(old)
    if used > high_water:
        new.add("outbox_high_water")
    elif used < 0.9 * high_water:
        new.discard("outbox_high_water")
    if over_budget:
        new.add("outbox_full")
    elif used <= max_bytes:
        new.discard("outbox_full")
    return new
