"""The console's store: violations, their review, cameras, boxes, and the people's tables,
on SQLite (one box) or PostgreSQL (the monitoring centre), through SQLAlchemy Core.

    store = Store.open("sqlite:////var/lib/sitewarden/console.db")  # or postgresql://...
    store.schema_version                      # Alembic revision; open() upgraded it to head

Ingest (the MQTT ingest at the centre, the box's own pipeline) - idempotent by event id,
order-independent per violation; acknowledge a batch only after ingest_many returned:
    ingest(event) -> IngestResult
    ingest_many(events, defer_busy=False) -> list[IngestResult]
        one transaction (on PostgreSQL a second, short one for the boxes' rows); with
        defer_busy, events of violations another transaction holds come back `deferred`
    record_box_status(site_id, box_id, payload) -> bool     retained .../status
    record_camera_status(payload) -> bool                   retained .../cameras/<id>/status
    record_statuses([StatusMessage]) -> [bool | None]       many of both, one transaction
    prune_events_seen(before_ts) -> int

Reads - every one takes the caller's Scope (Scope.all() or Scope.of(sites)); rows outside it
are NotFound, exactly like missing ones:
    list_violations(filters, scope, limit=50, cursor=None) -> Page[Violation]
        newest first by (started_ts, violation_id); pass page.next_cursor for the next page
    get_violation(violation_id, scope) -> Violation
    get_violations(violation_ids, scope) -> list[Violation]   in the order asked, missing left out
    count_violations(filters, scope) -> int
    phases(violation_id, scope) -> list[PhaseRecord]        every event of it, as received
    audit_of(violation_id, scope) -> list[AuditEntry]
    neighbours(violation_id, scope, n=5) -> Neighbours      same camera, around it in time
    counts_unhandled(scope) -> list[UnhandledCount]         per site/box/camera/zone/kind
    counts_by_site(scope) -> list[SiteCounts]               unhandled and overdue per site
    stats(scope, since_ts, until_ts, tz) -> Stats           per local day; false-alarm rates
    cameras(scope) -> list[Camera];  boxes(scope) -> list[Box]   (with sequence gaps)

Review - every write takes an Actor (name, role, scope), appends to the audit log and
returns the updated Violation (see review.py for the rules):
    claim(violation_id, actor, *, force=False)      Conflict(holder) if someone else has it
    release(violation_id, actor, *, force=False)
    decide(violation_id, actor, decision, reason=None, comment=None, dispatched_to=None, *,
           expected_version=None, force=False)
    reopen(violation_id, actor, comment);  comment(violation_id, actor, text)
    mark_overdue(now_ts, after_s, scope=None, limit=1000) -> list[Violation]  each once, ever
    review_event(violation_id, scope, source=None) -> dict | None
        the sitewarden.review.decided event to publish after decide/reopen

Live pages:
    subscribe(max_queue=1000) -> Subscription   .get(timeout_s) -> Change(kind, id, site_id)
        committed changes of this process (SQLite) or of every replica (PostgreSQL
        LISTEN/NOTIFY); kind "resync" means some were lost: reload

Configuration (the box's zone editor):
    log_config_change(actor, site_id, detail)     an audit entry "config_change" (the diff)
    config_changes(site_id=None, limit=50) -> list[AuditEntry]   newest first

Maintenance: optimize() (SQLite planner statistics; run daily on a box), close().

Errors (errors.py): NotFound, Forbidden, Conflict, InvalidInput, all StoreError.
Module map: db (engine, transactions), tables + migrations (schema), wire (event parsing),
merge (phase join), ingest, devices (cameras, boxes), sequences (gaps), review, audit,
queries, cursor, stats, changes, store (this facade).
"""

from console.store.changes import Change, Subscription
from console.store.devices import StatusMessage
from console.store.errors import Conflict, Forbidden, InvalidInput, NotFound, StoreError
from console.store.model import (
    UNHANDLED,
    AuditEntry,
    Box,
    Camera,
    DayCount,
    Decision,
    FalseAlarmRate,
    FalseAlarmReason,
    Gap,
    IngestResult,
    Neighbours,
    Page,
    PhaseRecord,
    SiteCounts,
    Stats,
    UnhandledCount,
    Violation,
    ViolationFilter,
)
from console.store.scope import Actor, Scope
from console.store.store import Store
from console.store.wire import review_event

__all__ = [
    "UNHANDLED", "Actor", "AuditEntry", "Box", "Camera", "Change", "Conflict", "DayCount",
    "Decision", "FalseAlarmRate", "FalseAlarmReason", "Forbidden", "Gap", "IngestResult",
    "InvalidInput", "Neighbours", "NotFound", "Page", "PhaseRecord", "Scope", "SiteCounts", "Stats",
    "StatusMessage", "Store", "StoreError", "Subscription", "UnhandledCount", "Violation",
    "ViolationFilter", "review_event",
]
