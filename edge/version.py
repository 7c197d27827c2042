"""What this box runs: the software version and a short version of its site file, told to
the monitoring centre in the box's status (Publisher.set_box_info)."""

from __future__ import annotations

import hashlib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def software_version() -> str:
    try:
        return version("sitewarden")
    except PackageNotFoundError:
        return "dev"


def config_version(path: Path | None) -> str | None:
    """The site file's sha256, first 12 hex digits (the zone editor versions the file by the
    same hash); None without a file or when it cannot be read."""
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return None
