"""norfair, imported without scipy.

norfair's filter module imports `KalmanFilter` from filterpy.kalman for a factory sitewarden
does not use (its Tracker's default, OptimizedKalmanFilterFactory, is plain numpy), and
filterpy.kalman's modules import scipy.linalg and, through filterpy.stats, scipy.stats:
about 1 s of what `replay` and `run` took to start (0.8 s for scipy.stats, then 0.25 s for
scipy.linalg once that was gone). While norfair loads, filterpy.kalman is a stand-in whose
`KalmanFilter` imports the real module when first called; the stand-in is removed at once, so
a later `import filterpy.kalman` gets the real module and norfair's FilterPy factory still
works. (`KalmanFilter` is the only name norfair takes from filterpy, in norfair 2.x.)
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_KALMAN = "filterpy.kalman"


def _kalman_filter(*args: Any, **kwargs: Any) -> Any:
    return importlib.import_module(_KALMAN).KalmanFilter(*args, **kwargs)


def _import_norfair() -> None:
    if "norfair" in sys.modules or _KALMAN in sys.modules:
        importlib.import_module("norfair")
        return
    stand_in = types.ModuleType(_KALMAN)
    stand_in.KalmanFilter = _kalman_filter  # type: ignore[attr-defined]
    sys.modules[_KALMAN] = stand_in
    try:
        importlib.import_module("norfair")
    finally:
        if sys.modules.get(_KALMAN) is stand_in:
            del sys.modules[_KALMAN]


_import_norfair()

from norfair import Detection, Tracker  # noqa: E402
from norfair.tracker import TrackedObject  # noqa: E402

__all__ = ["Detection", "TrackedObject", "Tracker"]
