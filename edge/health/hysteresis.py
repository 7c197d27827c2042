"""A condition that must hold for `raise_after_s` to become active and be absent for
`clear_after_s` to clear, so that alarms do not flap on a few odd frames."""

from __future__ import annotations


class Debounced:
    def __init__(self, raise_after_s: float, clear_after_s: float) -> None:
        self.raise_after_s = raise_after_s
        self.clear_after_s = clear_after_s
        self.active = False
        self._since_s: float | None = None  # when the observation started to disagree

    def update(self, observed: bool, t_s: float) -> bool:
        """Feed one observation at time `t_s`; returns the (possibly new) active state."""
        if observed == self.active:
            self._since_s = None
            return self.active
        if self._since_s is None:
            self._since_s = t_s
        hold_s = self.clear_after_s if self.active else self.raise_after_s
        if t_s - self._since_s >= hold_s:
            self.active = observed
            self._since_s = None
        return self.active

    def reset(self) -> None:
        self.active = False
        self._since_s = None
