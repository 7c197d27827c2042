"""A small disk for full-disk tests: a real 4 MiB tmpfs that a filler file fills to the last byte.

Mounting needs root (CAP_SYS_ADMIN). Elsewhere, or with SITEWARDEN_TEST_SIMULATE_ENOSPC=1, the
disk is simulated: while "full", every outbox write and every outbox open raises the
OutboxError a full disk gives. `mode` says which; the tmpfs is what the tests are made for.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from publisher.outbox import Outbox, OutboxError

TMPFS_BYTES = 4 * 1024 * 1024
_CHUNKS = (1 << 20, 1 << 16, 4096, 512, 64, 8, 1)


class SmallDisk:
    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.path = path
        self.filler = path / "filler"
        self._simulated_full = False
        self.mode = "tmpfs" if self._mount() else "simulated"
        if self.mode == "simulated":
            self._simulate(monkeypatch)

    def fill(self) -> int:
        """Fill the disk to the last byte; returns the bytes written."""
        if self.mode == "simulated":
            self._simulated_full = True
            return 0
        written = 0
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            for size in _CHUNKS:
                written += _write_until_full(fd, size)
        finally:
            os.close(fd)
        return written

    def free(self) -> None:
        self._simulated_full = False
        self.filler.unlink(missing_ok=True)

    def free_bytes(self) -> int:
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize

    def unmount(self) -> None:
        if self.mode == "tmpfs":
            r = subprocess.run(["umount", str(self.path)], capture_output=True, check=False)
            if r.returncode != 0:  # something still open: detach now, freed when closed
                subprocess.run(["umount", "-l", str(self.path)], check=False)

    def _mount(self) -> bool:
        if os.geteuid() != 0 or os.environ.get("SITEWARDEN_TEST_SIMULATE_ENOSPC"):
            return False
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_BYTES}", "tmpfs",
                            str(self.path)], capture_output=True, check=False)
        return r.returncode == 0

    def _simulate(self, mp: pytest.MonkeyPatch) -> None:
        def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
            def call(*a: Any, **kw: Any) -> Any:
                if self._simulated_full:
                    raise OutboxError("simulated: database or disk is full", disk_full=True)
                return fn(*a, **kw)
            return call

        for name in ("__init__", "put_many", "save_sequence", "delete"):
            mp.setattr(Outbox, name, guarded(getattr(Outbox, name)))


def _write_until_full(fd: int, size: int) -> int:
    block = b"\0" * size
    written = 0
    while True:
        try:
            n = os.write(fd, block)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
            return written
        written += n
        if n < size:  # a short write: this size no longer fits
            return written
