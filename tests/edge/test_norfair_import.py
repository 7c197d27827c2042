"""edge.core.norfair_import: norfair without scipy.stats at start-up, and filterpy intact."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import edge.core.tracking
loaded_at_start = "scipy.stats" in sys.modules
from filterpy.kalman import kalman_filter
import filterpy.stats
from scipy.stats import norm
print(json.dumps({
    "scipy_stats_at_start": loaded_at_start,
    "real_module": filterpy.stats.__file__ is not None,
    "logpdf": float(kalman_filter.logpdf(1.0, 0.0, 1.0)),
    "expected": float(norm.logpdf(1.0)),
}))
"""


def test_the_tracker_starts_without_scipy_stats_and_filterpy_still_computes() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                         check=True).stdout
    got = json.loads(out)
    assert got["scipy_stats_at_start"] is False
    assert got["real_module"] is True
    assert abs(got["logpdf"] - got["expected"]) < 1e-12
