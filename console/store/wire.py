"""Incoming events (CloudEvents 1.0 dicts, see docs/mqtt.md) parsed into typed inputs, and
the `sitewarden.review.decided` event the console sends when an operator decides.

Handled types:
    sitewarden.violation.<kind>   data: publisher.events.ViolationData (phase started|updated|ended)
    sitewarden.camera.<state>     data: site_id, box_id, camera_id, state (+ detail fields)
    sitewarden.box.<state>        data: site_id, box_id, state degraded|ok (+ detail fields)
    sitewarden.review.decided     data: publisher.events.ReviewData
    sitewarden.violation.overdue  data: publisher.events.OverdueData (a box's escalation;
                                  marks the violation overdue, any arrival order)

`review.decided` (defined here; the edge does not emit it yet):
    source   /sitewarden/<site_id>/<box_id> of the console that decided (a box), or any
             other URI (the centre)
    subject  <camera_id>/<zone_id> of the violation when known
    data     violation_id, site_id, box_id, action (decided | reopened), decision, reason,
             comment, dispatched_to, decided_by, decided_at (ISO 8601 with offset)
A decision applies to the violation only if it is newer (decided_at) than the decision it
has; either way it is kept once in the audit log, keyed by the event id.

The optional CloudEvents extension attribute `sequence` (decimal string, per box) feeds gap
detection; it is read from any event whose source names a box.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from console.store.model import AuditEntry, Decision, Violation
from publisher.events import (
    OVERDUE_TYPE,
    OverdueData,
    ReviewData,
    ViolationData,
    event_id,
    source_uri,
)

REVIEW_TYPE = "sitewarden.review.decided"
_SOURCE = re.compile(r"^/sitewarden/(?P<site>[^/]+)/(?P<box>[^/]+)$")
_TYPE = re.compile(r"^sitewarden\.(?P<family>[a-z_]+)\.(?P<name>[a-z_]+)$")
PHASE_RANK = {"started": 0, "updated": 1, "ended": 2}
EVIDENCE_READY_REASON = "evidence_ready"


class WireError(ValueError):
    """The event is malformed; the message says what is wrong."""


def parse_iso_ts(value: str, what: str) -> float:
    """Epoch seconds of an ISO 8601 time. A time without offset is taken as UTC (the
    contract requires an offset; guessing beats losing the event)."""
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise WireError(f"{what}: not an ISO 8601 time: {value!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def iso_utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Envelope:
    event_id: str
    type: str
    family: str  # violation | camera | box | review
    name: str  # the last part of the type
    time: str
    time_ts: float
    source_site: str | None  # from `source`, when it names a box
    source_box: str | None
    sequence: int | None
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class PhaseIn:
    env: Envelope
    data: ViolationData
    rank: int
    started_ts: float
    ended_ts: float | None
    evidence_only: bool  # the evidence_ready announcement after the end: adds evidence only


@dataclass(frozen=True)
class StateIn:
    """A camera or box state change."""

    env: Envelope
    site_id: str
    box_id: str
    camera_id: str | None  # None for box events
    state: str
    detail: dict[str, Any]


class ReviewDataIn(ReviewData):
    """The wire's ReviewData (publisher.events), with the decision's vocabulary enforced."""

    decision: Decision | None = None


@dataclass(frozen=True)
class ReviewIn:
    env: Envelope
    data: ReviewDataIn
    decided_ts: float


@dataclass(frozen=True)
class OverdueIn:
    env: Envelope
    data: OverdueData
    overdue_ts: float


Parsed = PhaseIn | StateIn | ReviewIn | OverdueIn


def parse_envelope(event: Mapping[str, Any]) -> Envelope:
    if not isinstance(event, Mapping):
        raise WireError("an event is a JSON object")
    event_id, etype, time = event.get("id"), event.get("type"), event.get("time")
    if not isinstance(event_id, str) or not event_id:
        raise WireError("missing event id")
    if not isinstance(etype, str) or not (m := _TYPE.match(etype)):
        raise WireError(f"not a sitewarden event type: {etype!r}")
    if not isinstance(time, str):
        raise WireError("missing event time")
    if not isinstance(event.get("data"), Mapping):
        raise WireError("missing event data")
    src = _SOURCE.match(str(event.get("source", "")))
    return Envelope(
        event_id=event_id, type=etype, family=m["family"], name=m["name"], time=time,
        time_ts=parse_iso_ts(time, "time"),
        source_site=src["site"] if src else None, source_box=src["box"] if src else None,
        sequence=_sequence(event.get("sequence")), raw=event,
    )


def _sequence(value: Any) -> int | None:
    if value is None:
        return None
    try:
        seq = int(str(value), 10)
    except ValueError:
        raise WireError(f"sequence is not a decimal number: {value!r}") from None
    if seq < 0:
        raise WireError(f"negative sequence: {seq}")
    return seq


def parse(event: Mapping[str, Any]) -> Parsed:
    """Typed input for one event; WireError when it is malformed, LookupError when its type
    is a sitewarden type the console does not handle."""
    env = parse_envelope(event)
    data = dict(env.raw["data"])
    if env.type == OVERDUE_TYPE:  # in the violation family, but not a phase
        return _overdue(env, data)
    if env.family == "violation":
        return _phase(env, data)
    if env.family in ("camera", "box"):
        return _state(env, data)
    if env.family == "review" and env.type == REVIEW_TYPE:
        return _review(env, data)
    raise LookupError(env.type)


def _check_source(env: Envelope, site_id: str, box_id: str) -> None:
    if env.source_site is not None and (env.source_site, env.source_box) != (site_id, box_id):
        raise WireError(
            f"source {env.raw.get('source')!r} does not match data site/box "
            f"{site_id}/{box_id}"
        )


def _phase(env: Envelope, data: dict[str, Any]) -> PhaseIn:
    try:
        vd = ViolationData.model_validate(data)
    except ValidationError as e:
        raise WireError(f"violation data: {_first_error(e)}") from None
    _check_source(env, vd.site_id, vd.box_id)
    return PhaseIn(
        env=env, data=vd, rank=PHASE_RANK[vd.phase],
        started_ts=parse_iso_ts(vd.started_at, "started_at"),
        ended_ts=parse_iso_ts(vd.ended_at, "ended_at") if vd.ended_at else None,
        evidence_only=vd.phase == "updated" and vd.reason == EVIDENCE_READY_REASON,
    )


def _state(env: Envelope, data: dict[str, Any]) -> StateIn:
    site_id, box_id = data.pop("site_id", None), data.pop("box_id", None)
    camera_id, state = data.pop("camera_id", None), data.pop("state", env.name)
    if not isinstance(site_id, str) or not isinstance(box_id, str):
        raise WireError(f"{env.type}: data needs site_id and box_id")
    if env.family == "camera" and not isinstance(camera_id, str):
        raise WireError(f"{env.type}: data needs camera_id")
    if state != env.name:
        raise WireError(f"{env.type}: data state {state!r} contradicts the type")
    _check_source(env, site_id, box_id)
    return StateIn(
        env=env, site_id=site_id, box_id=box_id,
        camera_id=camera_id if env.family == "camera" else None, state=state, detail=data,
    )


def _review(env: Envelope, data: dict[str, Any]) -> ReviewIn:
    try:
        rd = ReviewDataIn.model_validate(data)
    except ValidationError as e:
        raise WireError(f"review data: {_first_error(e)}") from None
    if rd.action == "decided" and rd.decision is None:
        raise WireError("review data: action 'decided' needs a decision")
    return ReviewIn(env=env, data=rd, decided_ts=parse_iso_ts(rd.decided_at, "decided_at"))


def _overdue(env: Envelope, data: dict[str, Any]) -> OverdueIn:
    try:
        od = OverdueData.model_validate(data)
    except ValidationError as e:
        raise WireError(f"overdue data: {_first_error(e)}") from None
    _check_source(env, od.site_id, od.box_id)
    return OverdueIn(env=env, data=od, overdue_ts=parse_iso_ts(od.overdue_at, "overdue_at"))


def _first_error(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "data"
    return f"{where}: {err['msg']}"


def review_event(v: Violation, entry: AuditEntry, source: str | None = None) -> dict[str, Any]:
    """The `sitewarden.review.decided` event for a decide/reopen audit entry (its id is the
    entry's event id, so the event coming back to this store is recognised as seen).
    `source` defaults to the violation's box (a box console deciding)."""
    if entry.event_id is None or entry.action not in ("decide", "reopen"):
        raise ValueError("only decide/reopen audit entries become review events")
    after = entry.detail.get("after", {})
    data = ReviewData(
        violation_id=v.violation_id, site_id=v.site_id, box_id=v.box_id,
        camera_id=v.camera_id, zone_id=v.zone_id,
        action="decided" if entry.action == "decide" else "reopened",
        decision=after.get("decision"), reason=after.get("decision_reason"),
        comment=after.get("decision_comment") or entry.detail.get("comment"),
        dispatched_to=after.get("dispatched_to"), decided_by=entry.actor, decided_at=entry.at,
    )
    return {
        "specversion": "1.0", "id": entry.event_id,
        "source": source or source_uri(v.site_id, v.box_id), "type": REVIEW_TYPE,
        "subject": f"{v.camera_id}/{v.zone_id}", "time": entry.at,
        "datacontenttype": "application/json", "data": data.model_dump(mode="json"),
    }


def overdue_event_id(violation_id: str) -> str:
    """The id of a violation's one overdue event, the same wherever it is marked (the
    box's publisher.events.overdue_event, this store's mark_overdue): the box's event
    coming back, or reaching a centre that marked it itself, is a duplicate."""
    return event_id(violation_id, "overdue")


def new_event_id() -> str:
    return str(uuid.uuid4())
