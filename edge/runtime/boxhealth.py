"""Box-wide health: parts that can degrade without stopping detection (a full disk).

Each part (`outbox`, `evidence_storage`, `local_store`, `evidence_upload`) is `ok` or
`degraded` with a reason; every change becomes one `sitewarden.box.degraded|ok` event and
shows in /health (503 while any part is degraded). Parts report from their own threads;
reports that arrive before the box can emit (the publisher starts first) are kept and
emitted, in order, once it can.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from publisher.events import Event, box_event

log = logging.getLogger(__name__)

State = Literal["ok", "degraded"]


class BoxHealth:
    def __init__(self, site_id: str, box_id: str) -> None:
        self.site_id = site_id
        self.box_id = box_id
        self._lock = threading.Lock()
        self._parts: dict[str, dict[str, Any]] = {}
        self._emit: Callable[[Event], None] | None = None
        self._pending: list[Event] = []

    def attach(self, emit: Callable[[Event], None]) -> None:
        """Emit through `emit` from now on, starting with the reports kept so far."""
        with self._lock:
            self._emit = emit
            pending, self._pending = self._pending, []
        for event in pending:
            emit(event)

    def report(self, part: str, state: str, detail: dict[str, Any] | None = None) -> None:
        """`state` "ok" or anything else (= degraded); a repeated state is not reported."""
        norm: State = "ok" if state == "ok" else "degraded"
        detail = dict(detail or {})
        with self._lock:
            if self._parts.get(part, {}).get("state", "ok") == norm:
                return
            self._parts[part] = {"state": norm, **detail}
            event = box_event(self.site_id, self.box_id, norm, datetime.now(UTC),
                              {"part": part, **detail})
            emit = self._emit
            if emit is None:
                self._pending.append(event)
        log.log(logging.INFO if norm == "ok" else logging.WARNING, "box %s %s: %s", part,
                norm, detail)
        if emit is not None:
            emit(event)

    def reporter(self, part: str) -> Callable[[str, dict[str, Any]], None]:
        """A `(state, detail)` callback for one part (what the publisher and evidence take)."""
        return lambda state, detail: self.report(part, state, detail)

    @property
    def degraded(self) -> bool:
        with self._lock:
            return any(p["state"] != "ok" for p in self._parts.values())

    def parts(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {k: dict(v) for k, v in self._parts.items()}
