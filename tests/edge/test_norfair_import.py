"""edge.core.norfair_import: norfair without scipy at start-up, and filterpy intact."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import numpy as np
import edge.core.tracking
scipy_at_start = sorted(m for m in sys.modules if m == "scipy" or m.startswith("scipy."))
from norfair.filter import FilterPyKalmanFilterFactory
from filterpy.kalman import KalmanFilter, kalman_filter
import filterpy.stats
from scipy.stats import norm
kf = FilterPyKalmanFilterFactory().create_filter(np.array([[10.0, 20.0]]))
print(json.dumps({
    "scipy_at_start": scipy_at_start,
    "real_kalman": isinstance(kf, KalmanFilter),
    "state": kf.x[:2].ravel().tolist(),
    "real_stats": filterpy.stats.__file__ is not None,
    "logpdf": float(kalman_filter.logpdf(1.0, 0.0, 1.0)),
    "expected": float(norm.logpdf(1.0)),
}))
"""


def test_the_tracker_starts_without_scipy_and_filterpy_still_computes() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout
    got = json.loads(out)
    assert got["scipy_at_start"] == []
    # norfair's FilterPy factory, which the stand-in served while norfair loaded, makes
    # real filters afterwards
    assert got["real_kalman"] is True and got["state"] == [10.0, 20.0]
    assert got["real_stats"] is True
    assert abs(got["logpdf"] - got["expected"]) < 1e-12
