"""Upload health for the runtime: a status callback that fires on every change of reason.

evidence/status.py's StatusReporter reports only ok <-> degraded. An uploader can go from one
problem to the next (credentials fixed, now the bucket is missing); the operator must hear
about the second one too, so here a change of `reason` counts as a change.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from edge.evidence.status import StatusCallback

log = logging.getLogger(__name__)


class ReasonReporter:
    def __init__(self, on_status: StatusCallback | None, component: str) -> None:
        self._on_status = on_status
        self._component = component
        self._lock = threading.Lock()
        self.state = "ok"
        self.reason: str | None = None

    def report(self, state: str, detail: dict[str, Any]) -> None:
        reason = detail.get("reason") if state != "ok" else None
        with self._lock:
            if (state, reason) == (self.state, self.reason):
                return
            self.state, self.reason = state, reason
        if state != "ok":
            log.warning("%s %s: %s", self._component, state, detail)
        else:
            log.info("%s ok again", self._component)
        if self._on_status is None:
            return
        try:
            self._on_status(state, {"component": self._component, **detail})
        except Exception:  # the callback belongs to the runtime; never let it stop uploads
            log.exception("%s: status callback failed", self._component)
