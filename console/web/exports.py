"""GET /api/exports/false-alarms.zip: the material for retraining the detector.

For every violation decided as a false alarm in the period (the caller's sites), the zip
holds its RAW snapshot (`<id>.jpg`, the frame without zone, boxes and banner drawn: what the
detector saw) and `<id>.json` (the item with the tracked people's boxes, the decision and
its reason, the evidence reference with the image size, and `snapshot_objects`: the people
detected in the snapshot's frame, i.e. what the detector got wrong), and at the end
`index.json`
listing every violation and whether its snapshot was there. The annotated snapshot is never
used in place of a missing raw one: drawn boxes would teach a detector the drawing.

The zip is written as it is read (ZIP data descriptors, no seeking), a page of violations
at a time, so a year of false alarms needs neither memory nor a temporary file.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse

from console.roles import Action
from console.store import Decision, Scope, Violation, ViolationFilter
from console.web.api.params import Period
from console.web.context import ConsoleContext
from console.web.evidence import file_ref
from console.web.items import item
from console.web.security import Principal, context, require

router = APIRouter(prefix="/api/exports", tags=["exports"])
PAGE = 200
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class _Chunks(io.RawIOBase):
    """A write-only file that hands out what was written so far. It can tell but not
    seek, which makes zipfile write data descriptors instead of going back."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self._parts.append(data)
        self._pos += len(data)
        return len(data)

    def tell(self) -> int:
        return self._pos

    def take(self) -> bytes:
        out, self._parts = b"".join(self._parts), []
        return out


def _add(zf: zipfile.ZipFile, ctx: ConsoleContext, v: Violation) -> dict[str, Any]:
    name = _UNSAFE.sub("_", v.violation_id)
    raw = ctx.evidence.open(v, "snapshot_raw") if ctx.evidence is not None else None
    if raw is not None:  # JPEG: compressing it again gains nothing
        zf.writestr(f"{name}.jpg", raw, compress_type=zipfile.ZIP_STORED)
    doc = {
        "violation_id": v.violation_id, "decision": v.decision, "reason": v.decision_reason,
        "comment": v.decision_comment, "decided_by": v.decided_by, "decided_at": v.decided_at,
        "snapshot": f"{name}.jpg" if raw is not None else None,
        "snapshot_ref": file_ref(v.evidence, "snapshot_raw"),
        "snapshot_objects": _snapshot_objects(ctx, v), "item": item(ctx, v),
    }
    zf.writestr(f"{name}.json", json.dumps(doc, ensure_ascii=False, indent=1),
                compress_type=zipfile.ZIP_DEFLATED)
    return {"violation_id": v.violation_id, "json": f"{name}.json", "snapshot": doc["snapshot"]}


def _snapshot_objects(ctx: ConsoleContext, v: Violation) -> list[dict[str, Any]]:
    """The objects of the `started` phase: the snapshot is that phase's frame (the item's
    objects are the last phase's, often none after the end)."""
    for p in ctx.store.phases(v.violation_id, Scope.all()):
        if p.phase == "started":
            objects = p.payload.get("data", {}).get("objects")
            return list(objects) if isinstance(objects, list) else []
    return []


def zip_chunks(ctx: ConsoleContext, scope: Scope, f: ViolationFilter,
               about: dict[str, Any]) -> Iterator[bytes]:
    """The zip, in pieces of about one violation each (runs in a worker thread)."""
    out = _Chunks()
    listed: list[dict[str, Any]] = []
    with zipfile.ZipFile(out, "w") as zf:
        cursor = None
        while True:
            page = ctx.store.list_violations(f, scope, limit=PAGE, cursor=cursor)
            for v in page.items:
                listed.append(_add(zf, ctx, v))
                yield out.take()
            cursor = page.next_cursor
            if cursor is None:
                break
        index = {**about, "violations": len(listed),
                 "missing_snapshots": sum(1 for x in listed if x["snapshot"] is None),
                 "files": listed}
        zf.writestr("index.json", json.dumps(index, ensure_ascii=False, indent=1),
                    compress_type=zipfile.ZIP_DEFLATED)
    yield out.take()


@router.get("/false-alarms.zip", summary="False alarms with raw snapshots, for retraining",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/zip": {}},
                             "description": "<id>.jpg + <id>.json per violation, index.json"}})
def false_alarms_zip(period: Period = Depends(),
                     principal: Principal = Depends(require(Action.READ)),
                     ctx: ConsoleContext = Depends(context)) -> StreamingResponse:
    """Violations that started in the period (default: the last 30 days) and are decided
    as false alarms, of the caller's sites."""
    f = ViolationFilter(decision=Decision.FALSE_ALARM.value, since_ts=period.since_ts,
                        until_ts=period.until_ts)
    since, until = period.iso(period.since_ts, ctx), period.iso(period.until_ts, ctx)
    day = datetime.fromtimestamp(period.since_ts, ctx.timezone).date().isoformat()
    return StreamingResponse(
        zip_chunks(ctx, principal.scope, f, {"since": since, "until": until}),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="false-alarms-{day}.zip"'})
