"""Every benchmark runs in a short smoke mode, so none can rot unnoticed.

Figures are not judged here (the machine and its load vary); a benchmark must run to the
end, exit 0 and print one JSON object.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# channels.py (and peer.py, which it runs) have their own smoke run in test_peer.py.
OWN_SMOKE_TEST = {"channels", "peer"}
BENCHMARKS = sorted(p.stem for p in (ROOT / "benchmarks").glob("*.py")
                    if p.stem != "__init__" and p.stem not in OWN_SMOKE_TEST
                    and not p.stem.startswith("_"))


def test_every_benchmark_is_smoke_tested() -> None:
    assert set(BENCHMARKS) == set(SMOKE_TIMEOUT_S), "add the new benchmark to SMOKE_TIMEOUT_S"


SMOKE_TIMEOUT_S = {
    "centre": 240, "console": 120, "console_store": 180, "detector": 120, "evidence": 120,
    "preview": 120,
    "publisher": 120,
    "replay": 180, "upload": 60, "zones": 60,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_smoke(name: str, assets: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), "--smoke"],
                          capture_output=True, text=True, timeout=SMOKE_TIMEOUT_S[name],
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert isinstance(report, dict) and report
