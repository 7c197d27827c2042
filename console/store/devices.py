"""Cameras and boxes: their last known state, from events and from retained status messages.

A state report applies when it is not older than the one the row has (`state_ts`,
`health_ts`, `status_ts`): a redelivered old event never turns a camera back offline.
`since` moves only when the state actually changes. Status payloads (retained MQTT
messages, see docs/mqtt.md) are kept whole; a box's software version, model, config version
and outbox backlog are read from them when listed (`box_summary`), so the box can add fields
without a migration here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, select, update

from console.store.model import Box, Camera, Gap
from console.store.tables import boxes, cameras
from console.store.tx import Tx
from console.store.wire import WireError, iso_utc, parse_iso_ts

UNKNOWN = "unknown"


def new_box_row(tx: Tx, site_id: str, box_id: str) -> dict[str, Any]:
    """The row of a box first heard of."""
    return {
        "site_id": site_id, "box_id": box_id, "state": UNKNOWN, "status": {},
        "health": "ok", "health_detail": {}, "missing_count": 0, "updated_ts": tx.now_ts,
    }


def ensure_box(tx: Tx, site_id: str, box_id: str) -> None:
    tx.insert_ignore(boxes, new_box_row(tx, site_id, box_id))


def ensure_camera(tx: Tx, site_id: str, box_id: str, camera_id: str) -> None:
    """A camera first seen in a violation gets a row with state unknown."""
    if tx.insert_ignore(cameras, {
        "site_id": site_id, "box_id": box_id, "camera_id": camera_id, "state": UNKNOWN,
        "detail": {}, "updated_ts": tx.now_ts,
    }):
        tx.changes.add("camera", f"{site_id}/{box_id}/{camera_id}", site_id)


def set_camera_state(
    tx: Tx, key: tuple[str, str, str], state: str, time: str, time_ts: float,
    detail: Mapping[str, Any],
) -> bool:
    """Apply a camera state report; False when it is older than the current state."""
    site_id, box_id, camera_id = key
    ensure_camera(tx, site_id, box_id, camera_id)
    c = cameras.c
    where = (c.site_id == site_id, c.box_id == box_id, c.camera_id == camera_id)
    row = tx.conn.execute(select(cameras).where(*where).with_for_update()).one()
    if row.state_ts is not None and time_ts < row.state_ts:
        return False
    changed = row.state != state or row.since is None
    tx.conn.execute(update(cameras).where(*where).values(
        state=state, since=time if changed else row.since,
        since_ts=time_ts if changed else row.since_ts, state_ts=time_ts,
        detail=dict(detail), updated_ts=tx.now_ts,
    ))
    tx.changes.add("camera", "/".join(key), site_id)
    return True


def record_camera_status(tx: Tx, payload: Mapping[str, Any]) -> bool:
    """A retained camera status message: {site_id, box_id, camera_id, state, time, detail}."""
    ids = [payload.get(k) for k in ("site_id", "box_id", "camera_id")]
    state, time = payload.get("state"), payload.get("time")
    if not all(isinstance(i, str) for i in ids) or not isinstance(state, str):
        raise WireError("camera status needs site_id, box_id, camera_id and state")
    time_ts = parse_iso_ts(time, "time") if isinstance(time, str) else tx.now_ts
    detail = payload.get("detail")
    return set_camera_state(
        tx, (str(ids[0]), str(ids[1]), str(ids[2])), state,
        time if isinstance(time, str) else iso_utc(time_ts), time_ts,
        detail if isinstance(detail, Mapping) else {},
    )


def _box_row(tx: Tx, site_id: str, box_id: str) -> Row[Any]:
    ensure_box(tx, site_id, box_id)
    b = boxes.c
    stmt = select(boxes).where(b.site_id == site_id, b.box_id == box_id).with_for_update()
    return tx.conn.execute(stmt).one()


def _update_box(tx: Tx, site_id: str, box_id: str, values: dict[str, Any]) -> None:
    b = boxes.c
    tx.conn.execute(update(boxes).where(b.site_id == site_id, b.box_id == box_id)
                    .values(**values, updated_ts=tx.now_ts))
    tx.changes.add("box", f"{site_id}/{box_id}", site_id)


def set_box_health(
    tx: Tx, site_id: str, box_id: str, state: str, time: str, time_ts: float,
    detail: Mapping[str, Any],
) -> bool:
    """sitewarden.box.degraded|ok; False when older than the current health."""
    row = _box_row(tx, site_id, box_id)
    if row.health_ts is not None and time_ts < row.health_ts:
        return False
    changed = row.health != state or row.health_since is None
    _update_box(tx, site_id, box_id, {
        "health": state, "health_since": time if changed else row.health_since,
        "health_ts": time_ts, "health_detail": dict(detail),
    })
    return True


def record_box_status(
    tx: Tx, site_id: str, box_id: str, payload: Mapping[str, Any]
) -> bool:
    """A retained box status message (online / offline, Last Will without a time); False
    when it is older than the status the store has (see `_status_newer`)."""
    state = payload.get("state")
    if not isinstance(state, str):
        raise WireError("box status without a state")
    time = payload.get("time")
    time_ts = parse_iso_ts(time, "time") if isinstance(time, str) else tx.now_ts
    row = _box_row(tx, site_id, box_id)
    newer, order_ts = _status_newer(payload, row, time_ts if isinstance(time, str) else None)
    if not newer:
        return False
    changed = row.state != state or row.since is None
    values: dict[str, Any] = {
        "state": state, "status": dict(payload), "status_ts": order_ts,
        "since": (time if isinstance(time, str) else iso_utc(time_ts)) if changed else row.since,
        "since_ts": time_ts if changed else row.since_ts,
    }
    if state == "online":
        values["last_seen_ts"] = max(row.last_seen_ts or 0.0, tx.now_ts)
    _update_box(tx, site_id, box_id, values)
    return True


def _status_newer(
    payload: Mapping[str, Any], row: Row[Any], time_ts: float | None
) -> tuple[bool, float]:
    """Whether a status supersedes the row's, and the order time to store.

    The Last Will carries no time (it is fixed at CONNECT), and several replicas apply
    the statuses each received at their own pace (one may replay a Will queued while it was
    away after another applied the box's next `online`). So a status from a box that sends
    `connected_at` (the time its connection began; in the Will too) is ordered by
    (connected_at, Will after the statuses of its own connection, time): the Will of a
    connection ends that connection only, never the next one. Without `connected_at` (older
    boxes): by time, and a Will just after the status it follows."""
    new_key, old_key = _connection_key(payload), _connection_key(row.status or {})
    if new_key is not None and old_key is not None:
        return new_key >= old_key, time_ts if time_ts is not None else new_key[0]
    if time_ts is None:
        return True, (row.status_ts or 0.0) + 0.001
    return row.status_ts is None or time_ts >= row.status_ts, time_ts


def _connection_key(status: Mapping[str, Any]) -> tuple[float, int, float] | None:
    connected, time = status.get("connected_at"), status.get("time")
    if not isinstance(connected, str):
        return None
    try:
        c = parse_iso_ts(connected, "connected_at")
        t = parse_iso_ts(time, "time") if isinstance(time, str) else None
    except WireError:
        return None
    return (c, 1, 0.0) if t is None else (c, 0, t)


@dataclass(frozen=True)
class StatusMessage:
    """A retained status message as received: a box's (camera_id None) or a camera's."""

    site_id: str
    box_id: str
    camera_id: str | None
    payload: Mapping[str, Any]


def record_status(tx: Tx, m: StatusMessage) -> bool | None:
    """Apply one status message; None when it is malformed (nothing was written)."""
    try:
        if m.camera_id is None:
            return record_box_status(tx, m.site_id, m.box_id, m.payload)
        return record_camera_status(tx, m.payload)
    except WireError:  # raised before any write
        return None


def camera_of(row: Row[Any]) -> Camera:
    return Camera(
        site_id=row.site_id, box_id=row.box_id, camera_id=row.camera_id, state=row.state,
        since=row.since, since_ts=row.since_ts, detail=dict(row.detail),
        updated_ts=row.updated_ts,
    )


def _pick(status: Mapping[str, Any], *names: str) -> Any:
    """The first of `names` present at the top level or under `publisher`."""
    for where in (status, status.get("publisher") or {}):
        for n in names:
            if isinstance(where, Mapping) and where.get(n) is not None:
                return where[n]
    return None


def box_summary(row: Row[Any], gaps: list[Gap]) -> Box:
    status = dict(row.status)
    backlog = _pick(status, "outbox_depth", "outbox_backlog")
    version = _pick(status, "software_version", "version")
    model, config = _pick(status, "model"), _pick(status, "config_version")
    return Box(
        site_id=row.site_id, box_id=row.box_id, state=row.state, since=row.since,
        since_ts=row.since_ts, last_seen_ts=row.last_seen_ts, health=row.health,
        health_since=row.health_since, health_detail=dict(row.health_detail), status=status,
        software_version=str(version) if version is not None else None,
        model=str(model) if model is not None else None,
        config_version=str(config) if config is not None else None,
        outbox_backlog=int(backlog) if isinstance(backlog, int | float) else None,
        last_sequence=row.last_sequence, missing=int(row.missing_count), gaps=gaps,
    )
