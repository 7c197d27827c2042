"""Login rate limiting: failed attempts per user name and per client address, in a sliding
window.

Behaviour, exactly:
  - `check(username, address)` before verifying a password: refused while the name has
    `per_user` or more failures in the last `window_s` seconds, or the address has
    `per_address` or more; `retry_after_s` says when the oldest counted failure leaves the
    window (the earliest moment a retry can be allowed).
  - `failure(...)` after a wrong password (or unknown name: same treatment, so the limiter
    does not tell which names exist) counts one failure for the name and one for the address.
  - `success(...)` clears the name's failures, not the address's: one valid account must not
    reset the counter of an address that is guessing other accounts' passwords.
  - A refused attempt is not itself counted (a locked-out user waiting does not extend it).
Names are compared case-insensitively. State is per process: with N replicas behind a load
balancer without affinity, an attacker gets up to N times the limits.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: float  # 0 when allowed


class LoginRateLimiter:
    def __init__(
        self, *, per_user: int = 5, per_address: int = 20, window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000,
    ) -> None:
        self.per_user, self.per_address, self.window_s = per_user, per_address, window_s
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._failures.get(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        if not q:
            self._failures.pop(key, None)
        return q

    def check(self, username: str, address: str) -> Verdict:
        now = self._clock()
        with self._lock:
            waits = [
                q[-limit] + self.window_s - now
                for key, limit in ((("user", username.lower()), self.per_user),
                                   (("addr", address), self.per_address))
                if len(q := self._recent(key, now)) >= limit
            ]
        return Verdict(False, max(waits)) if waits else Verdict(True, 0.0)

    def failure(self, username: str, address: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._failures) + 2 > self._max_keys:
                self._sweep(now, room=2)
            for key in (("user", username.lower()), ("addr", address)):
                # re-inserted: the dict's order is then least recently failed first
                q = self._failures.pop(key, deque())
                q.append(now)
                self._failures[key] = q

    def success(self, username: str, address: str) -> None:
        with self._lock:
            self._failures.pop(("user", username.lower()), None)

    def _sweep(self, now: float, room: int) -> None:
        """Forget keys whose failures all left the window (bounded memory under a spray)."""
        for key in list(self._failures):
            self._recent(key, now)
        while len(self._failures) + room > self._max_keys:  # still full: drop the stalest
            self._failures.pop(next(iter(self._failures)))
