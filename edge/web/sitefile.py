"""The site file on disk: its version, atomic rewrites, earlier versions kept, diffs.

The version is the sha256 of the file's bytes. An editor loads the file with its version and
saves against it; a file that changed meanwhile (a hand edit, another editor) is never
overwritten: `save` raises `VersionConflict`. Writing goes to a temporary file in the same
folder, flushed to the disk, then renamed over the site file, so a crash or a full disk
leaves the old file or the new one, never half of one. Before that the old bytes are kept as
`site.yaml.1` (and `.1` becomes `.2`, ... up to `backups`).
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
DEFAULT_BACKUPS = 10


class VersionConflict(Exception):
    """The file is not the version the edit was made on."""

    def __init__(self, current: str) -> None:
        super().__init__("the site file was changed since it was loaded")
        self.current = current


class Unreadable(ValueError):
    """The site file on disk is not text the editor can read (a hand edit broke it, or is
    being written): the editor says so, with where, and edits nothing."""


@dataclass(frozen=True)
class Snapshot:
    text: str
    version: str


def version_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SiteFile:
    def __init__(self, path: Path, backups: int = DEFAULT_BACKUPS) -> None:
        self.path = Path(path)
        self.backups = backups
        # One writer at a time in this process; other writers are caught by the version.
        self.lock = threading.Lock()

    def read(self) -> Snapshot:
        data = self.path.read_bytes()
        try:
            return Snapshot(data.decode("utf-8"), version_of(data))
        except UnicodeDecodeError as e:
            line = data[:e.start].count(b"\n") + 1
            raise Unreadable(f"{self.path.name} is not UTF-8 text (line {line}, byte "
                             f"{e.start}); save it as UTF-8") from None

    def save(self, expected_version: str, text: str) -> str:
        """Replace the file with `text` if it is still `expected_version`; the new version.
        Call with `lock` held, from reading the file to here."""
        current = self.path.read_bytes()
        if version_of(current) != expected_version:
            raise VersionConflict(version_of(current))
        data = text.encode("utf-8")
        tmp = self._write_temp(data)
        try:
            self._rotate(current)
            # Checked again right before the rename: a hand edit saved while the backups
            # were written is still not overwritten.
            if version_of(self.path.read_bytes()) != expected_version:
                raise VersionConflict(version_of(self.path.read_bytes()))
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(self.path.parent)
        return version_of(data)

    def backup_path(self, n: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{n}")

    def _write_temp(self, data: bytes) -> Path:
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                    dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(OSError):  # keep the file's permissions
                os.chmod(name, self.path.stat().st_mode & 0o7777)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise
        return Path(name)

    def _rotate(self, current: bytes) -> None:
        if self.backups <= 0:
            return
        for n in range(self.backups - 1, 0, -1):
            older = self.backup_path(n)
            if older.exists():
                os.replace(older, self.backup_path(n + 1))
        first = self.backup_path(1)
        fd, name = tempfile.mkstemp(prefix=f".{first.name}.", dir=self.path.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(current)
            f.flush()
            os.fsync(f.fileno())
        os.replace(name, first)


def unified_diff(old: str, new: str, name: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))


def _fsync_dir(folder: Path) -> None:
    """The rename itself is durable only once the folder is synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        log.debug("cannot fsync %s", folder)
    finally:
        os.close(fd)
