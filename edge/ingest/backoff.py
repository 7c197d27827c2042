"""Capped exponential backoff with jitter, so that many cameras behind one dead NVR do not
reconnect in lock-step."""

from __future__ import annotations

import random


class Backoff:
    def __init__(
        self,
        initial_s: float = 0.5,
        max_s: float = 30.0,
        factor: float = 2.0,
        jitter_frac: float = 0.3,
        rng: random.Random | None = None,
    ) -> None:
        if initial_s <= 0 or max_s < initial_s or factor < 1 or not 0 <= jitter_frac < 1:
            raise ValueError("backoff needs 0 < initial_s <= max_s, factor >= 1, 0 <= jitter < 1")
        self.initial_s = initial_s
        self.max_s = max_s
        self.factor = factor
        self.jitter_frac = jitter_frac
        self._rng = rng or random.Random()
        self.attempt = 0

    def next_delay_s(self) -> float:
        """Delay before the next attempt; grows each call until reset()."""
        base = min(self.max_s, self.initial_s * self.factor**self.attempt)
        self.attempt += 1
        jitter = base * self.jitter_frac
        return max(0.0, min(self.max_s, base + self._rng.uniform(-jitter, jitter)))

    def reset(self) -> None:
        self.attempt = 0
