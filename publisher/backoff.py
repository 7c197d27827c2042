"""Capped exponential backoff with jitter: the one reconnect policy of the box.

Both the MQTT link and every camera reader use it, with settings named the same way
everywhere (`reconnect_initial_s`, `reconnect_max_s`).
"""

from __future__ import annotations

import random

# 2**60 times any sane initial delay is far beyond any cap; clamping the exponent keeps a
# reconnect loop that has failed for months from overflowing a float.
_MAX_EXPONENT = 60


class Backoff:
    """Delay before retry n: d = min(max_s, initial_s * factor**n), drawn uniformly from
    [d * (1 - jitter_frac), d].

    The jitter only shortens the delay (the cap is a promise to operators), and keeps a part
    of it so retries never collapse to zero: many cameras behind one dead NVR, or many boxes
    that lost the same broker, spread out instead of retrying in lock-step.
    """

    def __init__(
        self,
        initial_s: float,
        max_s: float,
        *,
        factor: float = 2.0,
        jitter_frac: float = 0.5,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < initial_s <= max_s or factor < 1 or not 0 <= jitter_frac < 1:
            raise ValueError(
                "backoff needs 0 < initial_s <= max_s, factor >= 1 and 0 <= jitter_frac < 1, "
                f"got initial_s={initial_s}, max_s={max_s}, factor={factor}, "
                f"jitter_frac={jitter_frac}"
            )
        self.initial_s = initial_s
        self.max_s = max_s
        self.factor = factor
        self.jitter_frac = jitter_frac
        self.attempts = 0
        self._rng = rng or random.Random()

    def next_delay_s(self) -> float:
        """The delay before the next attempt; grows with each call until reset()."""
        exponent = min(self.attempts, _MAX_EXPONENT)
        self.attempts += 1
        d = min(self.max_s, self.initial_s * self.factor**exponent)
        return d * (1.0 - self.jitter_frac * self._rng.random())

    def reset(self) -> None:
        self.attempts = 0
