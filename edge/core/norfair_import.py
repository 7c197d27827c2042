"""norfair, imported without scipy.stats.

norfair imports filterpy.kalman for a Kalman filter sitewarden does not use (its Tracker's
default, OptimizedKalmanFilterFactory, is plain numpy), and filterpy.kalman's modules import
`logpdf` from filterpy.stats, which imports scipy.stats: 0.8 s of the 2.5 s that `replay`
and `run` take to start. While norfair loads, filterpy.stats is a stand-in whose `logpdf`
imports the real module when first called; the stand-in is removed at once, so a later
`import filterpy.stats` gets the real module. (`logpdf` is the only name filterpy.kalman
takes from it, in filterpy 1.4.5, its last release.)
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_STATS = "filterpy.stats"


def _logpdf(*args: Any, **kwargs: Any) -> Any:
    return importlib.import_module(_STATS).logpdf(*args, **kwargs)


def _import_norfair() -> None:
    if "norfair" in sys.modules or _STATS in sys.modules:
        importlib.import_module("norfair")
        return
    stand_in = types.ModuleType(_STATS)
    stand_in.logpdf = _logpdf  # type: ignore[attr-defined]
    sys.modules[_STATS] = stand_in
    try:
        importlib.import_module("norfair")
    finally:
        if sys.modules.get(_STATS) is stand_in:
            del sys.modules[_STATS]


_import_norfair()

from norfair import Detection, Tracker  # noqa: E402
from norfair.tracker import TrackedObject  # noqa: E402

__all__ = ["Detection", "TrackedObject", "Tracker"]
