"""Log a repeating condition once a minute per kind, at its level (DEBUG in between).

A full disk or a dead link fails the same way on every event or every retry; one line a
minute keeps the log readable while the counters in stats() keep the exact numbers.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

REPEAT_LOG_S = 60.0


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, period_s: float = REPEAT_LOG_S) -> None:
        self.logger = logger
        self.period_s = period_s
        self._lock = threading.Lock()
        self._logged_at_s: dict[str, float] = {}

    def due(self, key: str) -> bool:
        """True (and remembered) when `key` was not logged within the period."""
        now = time.monotonic()
        with self._lock:
            last = self._logged_at_s.get(key)
            if last is not None and now - last < self.period_s:
                return False
            self._logged_at_s[key] = now
            return True

    def log(self, key: str, level: int, msg: str, *args: Any, **kw: Any) -> None:
        self.logger.log(level if self.due(key) else logging.DEBUG, msg, *args, **kw)
