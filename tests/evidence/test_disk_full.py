"""A full disk never raises into detection: it is counted, reported, and recovered from.

The disk is a real 512 KiB tmpfs when the test may mount one (root with CAP_SYS_ADMIN);
elsewhere (or with SITEWARDEN_TEST_SIMULATE_ENOSPC=1) ENOSPC is simulated by making the
evidence writers raise it (`mode` says which).
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import edge.evidence.files as ev_files
import edge.evidence.finalize as ev_finalize
from edge.config.storage import EvidenceConfig, StorageConfig
from edge.evidence import Retention

from .replaykit import all_refs, recorder, replay, update

pytestmark = pytest.mark.assets
TMPFS_BYTES = 512 * 1024


def _mount_tmpfs(path: Path) -> bool:
    if os.geteuid() != 0 or os.environ.get("SITEWARDEN_TEST_SIMULATE_ENOSPC"):
        return False
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs", str(path)],
                       capture_output=True, check=False)
    return r.returncode == 0


class _Simulated:
    """ENOSPC from every evidence write while `full()` is true."""

    def __init__(self, mp: pytest.MonkeyPatch, full: Any) -> None:
        def enospc() -> None:
            if full():
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        real_atomic, real_mp4 = ev_files.write_atomic, ev_finalize.write_mp4

        def atomic(*a: Any) -> None:
            enospc()
            real_atomic(*a)

        def mp4(*a: Any) -> Any:
            enospc()
            return real_mp4(*a)

        mp.setattr(ev_finalize, "write_atomic", atomic)
        mp.setattr(ev_finalize, "write_mp4", mp4)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = _mount_tmpfs(disk)
    try:
        yield disk, "tmpfs" if mounted else "simulated"
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(disk)], check=False)


def _storage(disk: Path) -> StorageConfig:
    return StorageConfig(directory=str(disk), min_free_bytes=0,
                         evidence=EvidenceConfig(pre_s=5.0, post_s=5.0))


def test_full_disk_is_counted_and_reported_never_raised(
    vtest: Path, small_disk: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    disk, mode = small_disk
    if mode == "simulated":  # snapshots fit, clips (hundreds of KiB) do not
        _Simulated(monkeypatch, full=lambda: True)
        monkeypatch.setattr(ev_finalize, "write_atomic", ev_files.write_atomic)
    statuses: list[tuple[str, dict[str, Any]]] = []
    rec = recorder(disk, storage_cfg=_storage(disk), on_status=lambda s, d: statuses.append((s, d)))
    script = {20.0: [update("f1", "started", 20.0, 20.0)],
              40.0: [update("f1", "ended", 40.0, 20.0, 38.0)],
              50.0: [update("f2", "started", 50.0, 50.0)],
              52.0: [update("f2", "ended", 52.0, 50.0, 51.0)]}
    ready = replay(vtest, rec, script, until_s=75.0).ready  # must not raise
    stats = rec.stats.snapshot()
    assert stats["disk_full"] >= 1 and stats["write_errors"] >= stats["disk_full"]
    assert statuses and statuses[0][0] == "degraded"
    assert statuses[0][1]["reason"] == "disk_full"
    assert statuses[0][1]["component"] == "evidence/cam-1"
    assert {r.violation_id for r in ready} == {"f1", "f2"}, "detection and evidence went on"
    f1 = next(r for r in ready if r.violation_id == "f1").evidence
    assert f1["ready"] is True and f1["clip"] is None
    assert any("clip" in e and "space" in e.lower() for e in f1["errors"]), f1["errors"]
    for ref in all_refs(ready):
        assert Path(str(ref["path"])).is_file(), "no reference to a file that is not there"
    assert not [p for p in disk.rglob(".tmp-*")], "partial files are removed"


def test_full_disk_makes_room_by_deleting_delivered_evidence(
    people: Path, small_disk: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    disk, mode = small_disk
    junk = disk / "evidence" / "plant-7" / "cam-1" / "2026-01-01" / "old-delivered"
    junk.mkdir(parents=True)
    (junk / "clip.mp4").write_bytes(os.urandom(400 * 1024))
    if mode == "simulated":
        _Simulated(monkeypatch, full=junk.exists)
    statuses: list[tuple[str, dict[str, Any]]] = []
    cfg = _storage(disk)
    ret = Retention(cfg, is_pending=lambda v: False)
    rec = recorder(disk, storage_cfg=cfg, retention=ret,
                   on_status=lambda s, d: statuses.append((s, d)))
    script = {10.0: [update("r1", "started", 10.0, 10.0)],
              12.0: [update("r1", "ended", 12.0, 10.0, 11.0)]}
    ready = replay(people, rec, script, until_s=25.0).ready
    assert not junk.exists(), "oldest delivered evidence was deleted to make room"
    assert rec.stats.snapshot()["disk_full"] >= 1
    ev = ready[0].evidence
    assert ev["snapshot"] is not None and ev["clip"] is not None
    assert Path(ev["clip"]["path"]).stat().st_size == ev["clip"]["size"]
    assert [s for s, _ in statuses if s == "degraded"] == [], "recovered without degrading"
