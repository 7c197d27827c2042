"""Evidence layout on disk and atomic writes.

Layout: <storage.directory>/evidence/<site>/<camera>/<YYYY-MM-DD>/<violation_id>/ holding
snapshot.jpg, snapshot_raw.jpg, best.jpg, clip.mp4 and meta.json. Every file is written
under a temporary name beginning with "." and renamed into place, so a reader (HTTP, a
retention sweep, an operator's rsync) never sees a half-written file.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any

EVIDENCE_DIRNAME = "evidence"
META_NAME = "meta.json"
TMP_PREFIX = ".tmp-"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
_counter = itertools.count()


def safe_component(name: str) -> str:
    """A path component that cannot escape its directory (ids come from config and engine)."""
    cleaned = _UNSAFE.sub("_", name).lstrip(".")
    return cleaned or "_"


def evidence_root(storage_directory: str | Path) -> Path:
    return Path(storage_directory) / EVIDENCE_DIRNAME


def violation_dir(
    root: Path, site_id: str, camera_id: str, day: datetime, violation_id: str
) -> Path:
    return (
        root
        / safe_component(site_id)
        / safe_component(camera_id)
        / day.strftime("%Y-%m-%d")
        / safe_component(violation_id)
    )


def tmp_path(final: Path) -> Path:
    return final.with_name(f"{TMP_PREFIX}{os.getpid()}-{next(_counter)}-{final.name}")


def write_atomic(final: Path, data: bytes) -> None:
    """Write `data` to `final` via a temporary file and rename; no partial file survives."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = tmp_path(final)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def commit_tmp(tmp: Path, final: Path) -> None:
    """Make a fully written temporary file durable and move it into place."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, final)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json_atomic(final: Path, obj: dict[str, Any]) -> None:
    write_atomic(final, json.dumps(obj, indent=1, sort_keys=True).encode())


def url_for(url_prefix: str, root: Path, path: Path) -> str:
    return url_prefix.rstrip("/") + "/" + path.relative_to(root).as_posix()


def file_refs(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file reference of an evidence dict: snapshot, its raw copy, best frame, clip."""
    refs: list[dict[str, Any]] = []
    for name in ("snapshot", "best", "clip"):
        ref = evidence.get(name)
        if isinstance(ref, dict):
            refs.append(ref)
            raw = ref.get("raw")
            if isinstance(raw, dict):
                refs.append(raw)
    return refs
