"""Capped exponential backoff with jitter for reconnect attempts."""

from __future__ import annotations

import random


class Backoff:
    """Delay before attempt n: d = min(cap, base * 2**n), drawn uniformly from [d/2, d].

    Half of the delay is kept so retries never collapse to zero (a broker that just came back
    is not hammered), the random half spreads many boxes that lost the same broker.
    """

    def __init__(self, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        if base_s <= 0 or cap_s < base_s:
            raise ValueError(f"backoff needs 0 < base_s <= cap_s, got {base_s}, {cap_s}")
        self.base_s = base_s
        self.cap_s = cap_s
        self.attempts = 0
        self._rng = rng or random.Random()

    def next_delay_s(self) -> float:
        # The exponent is clamped so a long outage cannot overflow the float.
        d = min(self.cap_s, self.base_s * 2.0 ** min(self.attempts, 60))
        self.attempts += 1
        return d / 2 + self._rng.uniform(0, d / 2)

    def reset(self) -> None:
        self.attempts = 0
