"""Reporting evidence health to the runtime (which turns it into a degraded-status event)."""

from __future__ import annotations

import errno
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

StatusCallback = Callable[[str, dict[str, Any]], None]
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def is_disk_full(exc: OSError) -> bool:
    return exc.errno in DISK_FULL_ERRNOS


class StatusReporter:
    """Calls `on_status(state, detail)` only when the state changes ("ok" <-> "degraded")."""

    def __init__(self, on_status: StatusCallback | None, component: str) -> None:
        self._on_status = on_status
        self._component = component
        self._state = "ok"
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        return self._state

    def report(self, state: str, detail: dict[str, Any]) -> None:
        with self._lock:
            if state == self._state:
                return
            self._state = state
        if state != "ok":
            log.warning("%s degraded: %s", self._component, detail)
        if self._on_status is None:
            return
        try:
            self._on_status(state, {"component": self._component, **detail})
        except Exception:  # the callback belongs to the runtime; never let it break a write
            log.exception("%s: status callback failed", self._component)
