"""Retention by age and by size, oldest first, keeping undelivered and in-progress evidence."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from edge.config.storage import StorageConfig
from edge.evidence import Retention

from .replaykit import recorder, replay, update


def _unit(root: Path, vid: str, size: int, mtime: float, day: str = "2026-03-14") -> Path:
    d = root / "evidence" / "plant-7" / "cam-1" / day / vid
    d.mkdir(parents=True)
    for name, n in (("clip.mp4", size - 100), ("meta.json", 100)):
        (d / name).write_bytes(b"x" * n)
        os.utime(d / name, (mtime, mtime))
    return d


def _cfg(tmp: Path, **kw: Any) -> StorageConfig:
    return StorageConfig(directory=str(tmp), min_free_bytes=0, **kw)


def test_size_budget_deletes_oldest_first_and_keeps_pending(tmp_path: Path) -> None:
    now = time.time()
    units = {v: _unit(tmp_path, v, 1000, now - 100 + i) for i, v in enumerate("abcde")}
    statuses: list[tuple[str, dict[str, Any]]] = []
    ret = Retention(_cfg(tmp_path, max_bytes=2500), is_pending=lambda v: v == "a",
                    on_status=lambda s, d: statuses.append((s, d)))
    result = ret.sweep()
    # "a" is oldest but undelivered, so b, c and d go (5000 -> 2000 bytes); e, newest, stays.
    assert not any(units[v].exists() for v in "bcd")
    assert units["a"].exists(), "undelivered evidence is kept"
    assert result.kept_pending == 1
    assert result.total_bytes <= 2500
    assert units["e"].exists()
    assert sum(u.exists() for u in units.values()) == 2
    assert statuses == []  # budget met: never degraded


def test_budget_unreachable_because_of_pending_reports_degraded_then_ok(tmp_path: Path) -> None:
    now = time.time()
    for i, v in enumerate("abc"):
        _unit(tmp_path, v, 1000, now - 10 + i)
    pending = {"a", "b", "c"}
    statuses: list[tuple[str, dict[str, Any]]] = []
    ret = Retention(_cfg(tmp_path, max_bytes=1500), is_pending=lambda v: v in pending,
                    on_status=lambda s, d: statuses.append((s, d)))
    r1 = ret.sweep()
    assert r1.over_budget and r1.deleted == 0 and r1.kept_pending == 3
    assert statuses[-1][0] == "degraded"
    assert statuses[-1][1]["reason"] == "evidence_budget_exceeded"
    pending.clear()  # delivered to the broker
    r2 = ret.sweep()
    assert not r2.over_budget and r2.deleted == 2
    assert statuses[-1][0] == "ok"


def test_age_limit_and_stale_temp_files(tmp_path: Path) -> None:
    now = time.time()
    old = _unit(tmp_path, "old", 500, now - 3 * 86400, day="2026-03-10")
    fresh = _unit(tmp_path, "fresh", 500, now - 60)
    stale_tmp = fresh / ".tmp-1-1-clip.mp4"
    stale_tmp.write_bytes(b"partial")
    os.utime(stale_tmp, (now - 7200, now - 7200))
    Retention(_cfg(tmp_path, max_age_days=1.0)).sweep()
    assert not old.exists()
    assert not old.parent.exists(), "empty day folder removed"
    assert fresh.exists() and not stale_tmp.exists()


def test_writes_sweep_only_when_the_budget_may_be_broken(tmp_path: Path) -> None:
    """A sweep stats every stored violation: not after every clip of a months-full store."""
    now = time.time()
    for i, v in enumerate("ab"):
        _unit(tmp_path, v, 1000, now - 100 + i)
    clock = [now]
    ret = Retention(_cfg(tmp_path, max_bytes=3500), clock=lambda: clock[0])
    assert ret.after_write(0) is not None  # nothing known yet: one sweep
    assert ret.sweeps == 1
    _unit(tmp_path, "c", 1000, now)
    assert ret.after_write(1000) is None  # 3000 of 3500: no scan
    assert ret.sweeps == 1
    _unit(tmp_path, "d", 1000, now)
    result = ret.after_write(1000)  # 4000: over, so a sweep deletes the oldest
    assert result is not None and result.deleted == 1 and ret.sweeps == 2
    assert not (tmp_path / "evidence" / "plant-7" / "cam-1" / "2026-03-14" / "a").exists()


def test_over_budget_because_of_pending_rechecks_at_most_every_30_s(tmp_path: Path) -> None:
    now = time.time()
    _unit(tmp_path, "a", 3000, now - 10)
    pending = {"a"}
    clock = [now]
    ret = Retention(_cfg(tmp_path, max_bytes=1500), is_pending=lambda v: v in pending,
                    clock=lambda: clock[0])
    assert ret.after_write(0) is not None and ret.sweeps == 1
    assert ret.after_write(500) is None  # still over, kept evidence: not again so soon
    clock[0] += 31
    pending.clear()
    result = ret.after_write(500)
    assert result is not None and result.deleted == 1 and ret.sweeps == 2


@pytest.mark.assets
def test_tiny_budget_with_real_evidence(vtest: Path, tmp_path: Path) -> None:
    delivered: set[str] = {"v1", "v2"}
    cfg = StorageConfig(directory=str(tmp_path), min_free_bytes=0, max_bytes=1_200_000)
    ret = Retention(cfg, is_pending=lambda v: v not in delivered)
    rec = recorder(tmp_path, storage_cfg=cfg, retention=ret)
    script = {
        8.0: [update("v1", "started", 8.0, 8.0)], 10.0: [update("v1", "ended", 10.0, 8.0, 9.0)],
        30.0: [update("v2", "started", 30.0, 30.0)],
        32.0: [update("v2", "ended", 32.0, 30.0, 31.0)],
        50.0: [update("v3", "started", 50.0, 50.0)],
        52.0: [update("v3", "ended", 52.0, 50.0, 51.0)],
    }
    ready = replay(vtest, rec, script, until_s=70.0).ready
    assert [r.violation_id for r in ready] == ["v1", "v2", "v3"]
    day = tmp_path / "evidence" / "plant-7" / "cam-1" / "2026-03-14"
    left = sorted(p.name for p in day.iterdir())
    total = sum(f.stat().st_size for f in day.rglob("*") if f.is_file())
    # each violation's files are 0.4-0.6 MB: v1 (oldest, delivered) had to go
    assert left == ["v2", "v3"], "oldest delivered evidence went first"
    assert total <= 1_200_000
