"""Watch the site file; validate an edit completely before anything uses it."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from edge.config import ConfigError, SiteConfig, load_config

log = logging.getLogger(__name__)


class ConfigWatcher:
    """poll() compares the file's (mtime, size); a valid new file goes to `apply`, a bad one
    is logged and remembered in `last_error` while the running config stays.

    A change is taken once the file has looked the same for one more poll: an edit saved in
    place (`>`, some editors) passes through a truncated file, and half a site file can be
    a valid, shorter site (zones missing) that would end their violations.
    """

    def __init__(self, path: Path, apply: Callable[[SiteConfig], None]) -> None:
        self.path = path
        self._apply = apply
        self._sig = self._signature()
        self._pending: tuple[int, int] | None = None  # a change seen once, not yet settled
        self.last_error: str | None = None
        self.reloads = 0
        self.rejected = 0

    def _signature(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def poll(self) -> bool:
        """True when a new config was applied."""
        sig = self._signature()
        if sig is None or sig == self._sig:
            self._pending = None
            return False
        if sig != self._pending:
            self._pending = sig
            return False
        try:
            cfg = load_config(self.path)
        except ConfigError as e:
            if self._changed_since(sig):
                return False
            self._sig, self._pending = sig, None
            self.rejected += 1
            self.last_error = e.render()
            log.error("config edit rejected; the running zones stay in force:\n%s", self.last_error)
            return False
        if self._changed_since(sig):
            return False
        self._sig, self._pending = sig, None
        try:
            self._apply(cfg)
        except Exception as e:  # a rejected apply must leave the old zones running
            self.rejected += 1
            self.last_error = f"{self.path}: cannot apply: {e}"
            log.exception("config edit could not be applied; the running zones stay in force")
            return False
        self.last_error = None
        self.reloads += 1
        log.info("config reloaded from %s", self.path)
        return True

    def _changed_since(self, sig: tuple[int, int]) -> bool:
        """Written again while it was read: what was read may be half of it; it is taken at
        a later poll, once it has settled."""
        now = self._signature()
        if now == sig:
            return False
        self._pending = now
        return True
