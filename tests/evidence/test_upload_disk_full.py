"""A full disk never breaks the upload queue: entries stay in memory, events keep flowing, the
status says so, and the queue becomes durable again once there is room.

The queue database sits on a real 512 KiB tmpfs filled to the last byte when the test may mount
one (root with CAP_SYS_ADMIN); elsewhere (or with SITEWARDEN_TEST_SIMULATE_ENOSPC=1) SQLite is
made to refuse writes (`PRAGMA query_only`), or the queue's folder cannot be created.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.evidence.upload_queue import UploadQueue

from .replaykit import replay
from .s3kit import ONE, MotoS3, assert_arrived, box, bucket, expected_objects, s3, site, wait_for

__all__ = ["bucket", "s3"]  # fixtures
pytestmark = pytest.mark.assets
TMPFS_BYTES = 512 * 1024


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[tuple[Path, bool]]:
    """(folder, True when it is a real tmpfs that can be filled)."""
    d = tmp_path / "queue-disk"
    d.mkdir()
    mounted = False
    if os.geteuid() == 0 and not os.environ.get("SITEWARDEN_TEST_SIMULATE_ENOSPC"):
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs",
                            str(d)], capture_output=True, check=False)
        mounted = r.returncode == 0
    try:
        yield d, mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(d)], check=False)


def _fill(folder: Path) -> Path:
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:  # unbuffered: close() has nothing left to write
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as e:
            assert e.errno == errno.ENOSPC
    return filler


class _Full:
    """Makes the queue's database unwritable and writable again."""

    def __init__(self, queue: UploadQueue, folder: Path, real: bool) -> None:
        self.queue, self.folder, self.real = queue, folder, real

    def fill(self) -> None:
        if self.real:
            _fill(self.folder)
        else:
            self._pragma("PRAGMA query_only=1")

    def free(self) -> None:
        if self.real:
            (self.folder / "filler").unlink()
        else:
            self._pragma("PRAGMA query_only=0")

    def _pragma(self, sql: str) -> None:
        with self.queue._lock:
            assert self.queue._db is not None
            self.queue._db.execute(sql)


def test_unwritable_queue_keeps_entries_in_memory_then_persists_them(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str, disk: tuple[Path, bool]
) -> None:
    folder, real = disk
    cfg = site(tmp_path, s3, bucket, queue_path=str(folder / "upload.db"))
    s3.stop()
    b = box(cfg)
    full = _Full(b.uploader.queue, folder, real)
    full.fill()
    ready = replay(vtest, b.recorder, ONE, until_s=25.0).ready
    # the violation's evidence is complete and announced, keys included
    assert [r.violation_id for r in ready] == ["v1"] and ready[0].evidence["clip"]["key"]
    expected = expected_objects(ready)
    stats = b.uploader.stats()
    assert stats["pending"] == len(expected) and stats["unpersisted"] == len(expected)
    assert b.uploader.is_pending("v1"), "retention must keep it all the same"
    last = b.statuses.last("evidence_upload_queue")
    assert last is not None and last[0] == "degraded" and last[1]["reason"] == "queue_unwritable"

    b.start()  # the store is down too: retries are kept in memory, nothing raises
    wait_for(lambda: b.uploader.stats()["failed_attempts"] >= 2, what="failed attempts")
    assert b.thread is not None and b.thread.is_alive()
    full.free()
    wait_for(lambda: b.uploader.stats()["unpersisted"] == 0, what="entries written")
    assert b.statuses.last("evidence_upload_queue") == (
        "ok", {"component": "evidence_upload_queue", "path": str(folder / "upload.db")})
    b.stop()

    s3.start()
    again = box(cfg)  # durable now: a restart finds every entry
    assert again.uploader.stats()["pending"] == len(expected)
    again.start()
    try:
        assert again.uploader.wait_idle(10)
    finally:
        again.stop()
    assert_arrived(s3, bucket, ready)


def test_queue_that_cannot_even_be_opened_starts_in_memory(
    vtest: Path, tmp_path: Path, s3: MotoS3, bucket: str, disk: tuple[Path, bool]
) -> None:
    folder, real = disk
    if real:
        filler = _fill(folder)
        db_path = folder / "upload.db"
    else:  # the queue's folder cannot be created: a file is in the way
        filler = folder / "blocked"
        filler.write_bytes(b"")
        db_path = filler / "upload.db"
    cfg = site(tmp_path, s3, bucket, queue_path=str(db_path))
    b = box(cfg)
    assert b.uploader.queue.open_error is not None
    b.start()
    try:
        ready = replay(vtest, b.recorder, ONE, until_s=25.0).ready
        # the store is up: uploads go on from memory while the disk is full
        assert b.uploader.wait_idle(10)
        assert_arrived(s3, bucket, ready)
        last = b.statuses.last("evidence_upload_queue")
        assert last is not None and last[1]["reason"] == "queue_unwritable"
        filler.unlink()
        wait_for(lambda: b.uploader.queue.open_error is None and
                 b.uploader.stats()["unpersisted"] == 0, what="queue opened")
        last = b.statuses.last("evidence_upload_queue")
        assert last is not None and last[0] == "ok"
    finally:
        b.stop()
    assert db_path.is_file()
