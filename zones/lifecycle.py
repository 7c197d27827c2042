"""Violation lifecycle: stable ids, started -> updated* -> ended, rate-limited updates."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from zones.alarm_types import alarm_type_of
from zones.spec import ZoneSpec
from zones.types import Phase, Track, ViolationUpdate

VIOLATION_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://sitewarden.invalid/violation")


def violation_id(camera_id: str, zone_id: str, started_t_s: float) -> str:
    """Deterministic id: the same camera, zone and start time always give the same id."""
    return str(uuid.uuid5(VIOLATION_NAMESPACE, f"{camera_id}/{zone_id}/{started_t_s!r}"))


class OpenViolation(NamedTuple):
    violation_id: str
    started_t_s: float
    now_count: int  # not `count`: that name is a tuple method
    max_count: int
    objects: tuple[Track, ...]
    reported_count: int
    reported_ids: frozenset[int]
    reported_t_s: float
    unobservable: bool = False


def _ids(objects: tuple[Track, ...]) -> frozenset[int]:
    return frozenset(o.track_id for o in objects)


def make_update(
    spec: ZoneSpec,
    ov: OpenViolation,
    phase: Phase,
    t_s: float,
    reason: str,
    extra: tuple[tuple[str, object], ...] = (),
) -> ViolationUpdate:
    return ViolationUpdate(
        violation_id=ov.violation_id,
        phase=phase,
        camera_id=spec.camera_id,
        zone_id=spec.zone_id,
        kind=spec.kind,
        t_s=t_s,
        started_t_s=ov.started_t_s,
        ended_t_s=t_s if phase == "ended" else None,
        count=ov.now_count,
        max_count=ov.max_count,
        objects=ov.objects,
        reason=reason,
        alarm_type=alarm_type_of(spec.kind).name,
        extra=extra,
    )


def open_violation(
    spec: ZoneSpec,
    t_s: float,
    count: int,
    objects: tuple[Track, ...],
    reason: str,
    extra: tuple[tuple[str, object], ...] = (),
) -> tuple[OpenViolation, ViolationUpdate]:
    ov = OpenViolation(
        violation_id=violation_id(spec.camera_id, spec.zone_id, t_s),
        started_t_s=t_s,
        now_count=count,
        max_count=count,
        objects=objects,
        reported_count=count,
        reported_ids=_ids(objects),
        reported_t_s=t_s,
    )
    return ov, make_update(spec, ov, "started", t_s, reason, extra)


def observe(
    spec: ZoneSpec, ov: OpenViolation, t_s: float, count: int, objects: tuple[Track, ...]
) -> tuple[OpenViolation, ViolationUpdate | None]:
    """Record the current count and people; emit `updated` when they changed since the last
    report and at least `update_interval_s` has passed since it (changes in between are not
    lost: they are reported once the interval has passed, if still different)."""
    ov = ov._replace(now_count=count, max_count=max(ov.max_count, count), objects=objects)
    ids = _ids(objects)
    changed_count = count != ov.reported_count
    if not changed_count and ids == ov.reported_ids:
        return ov, None
    if t_s - ov.reported_t_s < spec.update_interval_s:
        return ov, None
    ov = ov._replace(reported_count=count, reported_ids=ids, reported_t_s=t_s)
    reason = "count_changed" if changed_count else "objects_changed"
    return ov, make_update(spec, ov, "updated", t_s, reason)


def close(
    spec: ZoneSpec,
    ov: OpenViolation,
    t_s: float,
    reason: str,
    extra: tuple[tuple[str, object], ...] = (),
) -> ViolationUpdate:
    return make_update(spec, ov, "ended", t_s, reason, extra)
