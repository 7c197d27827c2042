"""Reviewing violations: claim, release, decide (one or many), reopen, comment. Every
decision and reopening is published as `sitewarden.review.decided` (ctx.emit)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Body, Depends

from console.roles import Action
from console.store import Conflict, Forbidden, InvalidInput, NotFound, Scope, StoreError
from console.store.review import validate_decision
from console.web.api.models import (
    BulkDecisionIn,
    BulkOut,
    BulkResult,
    ClaimIn,
    CommentIn,
    DecisionIn,
    Item,
    ReopenIn,
)
from console.web.context import ConsoleContext
from console.web.items import item
from console.web.security import Principal, context, require
from publisher.events import Event

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/violations", tags=["review"])
_DECIDE = require(Action.DECIDE)
_STATUS: dict[type[StoreError], int] = {
    NotFound: 404, Forbidden: 403, Conflict: 409, InvalidInput: 422,
}


def publish_review(ctx: ConsoleContext, violation_id: str) -> None:
    """Send the violation's current decision on (the box: MQTT). The decision is committed
    already, so a failing sink is logged, never turned into an error for the operator."""
    if ctx.emit is None:
        return
    try:
        wire = ctx.store.review_event(violation_id, Scope.all())
        if wire is not None:
            ctx.emit(Event.from_wire(wire))
    except Exception:
        log.exception("could not publish the review of %s", violation_id)


# Before the per-id routes: "bulk" would otherwise be taken for a violation id.
@router.post("/bulk/decision", response_model=BulkOut,
             summary="Decide several violations the same way")
def bulk_decide(body: BulkDecisionIn, principal: Principal = Depends(_DECIDE),
                ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """Each id is decided on its own (one failing does not undo the others); the result
    of each says ok, or the status and detail it alone would have had. A decision that is
    wrong for every id (a false alarm without a reason) is a 422 for the whole request."""
    reason = body.reason.value if body.reason is not None else None
    validate_decision(body.decision.value, reason, body.dispatched_to)
    results = []
    for vid in dict.fromkeys(body.violation_ids):  # each once, in the order given
        results.append(_decide_one(ctx, principal, vid, body, reason))
    return {"results": results}


def _decide_one(ctx: ConsoleContext, principal: Principal, vid: str, body: BulkDecisionIn,
                reason: str | None) -> BulkResult:
    try:
        v = ctx.store.decide(vid, principal.actor, body.decision.value, reason=reason,
                             comment=body.comment, dispatched_to=body.dispatched_to)
    except StoreError as e:
        status = next((s for t, s in _STATUS.items() if isinstance(e, t)), 400)
        return BulkResult(violation_id=vid, ok=False, status=status, detail=str(e),
                          holder=e.holder if isinstance(e, Conflict) else None)
    publish_review(ctx, vid)
    return BulkResult(violation_id=vid, ok=True, status=200, item=Item(**item(ctx, v)))


@router.post("/{violation_id}/claim", response_model=Item,
             summary="Claim a violation (others see who is on it)")
def claim(violation_id: str, body: ClaimIn | None = Body(None),
          principal: Principal = Depends(_DECIDE),
          ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """409 naming the holder when another operator has it (admins may pass force)."""
    force = body.force if body is not None else False
    return item(ctx, ctx.store.claim(violation_id, principal.actor, force=force))


@router.post("/{violation_id}/release", response_model=Item, summary="Release a claim")
def release(violation_id: str, body: ClaimIn | None = Body(None),
            principal: Principal = Depends(_DECIDE),
            ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    force = body.force if body is not None else False
    return item(ctx, ctx.store.release(violation_id, principal.actor, force=force))


@router.post("/{violation_id}/decision", response_model=Item, summary="Decide a violation")
def decide(violation_id: str, body: DecisionIn, principal: Principal = Depends(_DECIDE),
           ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """confirmed | false_alarm (with a reason) | follow_up | dispatched (with
    dispatched_to). 409 when another operator holds it, when it is decided already (reopen
    first) or when `expected_version` is stale; 422 for a missing reason or recipient."""
    v = ctx.store.decide(
        violation_id, principal.actor, body.decision.value,
        reason=body.reason.value if body.reason is not None else None,
        comment=body.comment, dispatched_to=body.dispatched_to,
        expected_version=body.expected_version, force=body.force)
    publish_review(ctx, violation_id)
    return item(ctx, v)


@router.post("/{violation_id}/reopen", response_model=Item,
             summary="Reopen a decided violation")
def reopen(violation_id: str, body: ReopenIn, principal: Principal = Depends(_DECIDE),
           ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    """The comment says why; 409 when it was not decided."""
    v = ctx.store.reopen(violation_id, principal.actor, body.comment)
    publish_review(ctx, violation_id)
    return item(ctx, v)


@router.post("/{violation_id}/comment", response_model=Item,
             summary="Comment on a violation (kept in its audit log)")
def comment(violation_id: str, body: CommentIn, principal: Principal = Depends(_DECIDE),
            ctx: ConsoleContext = Depends(context)) -> dict[str, Any]:
    return item(ctx, ctx.store.comment(violation_id, principal.actor, body.text))
