"""Recent violations with their evidence, read back from the meta.json files on disk.

Reading the disk (not memory) keeps the list right across restarts and across cameras.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from edge.evidence.files import META_NAME

log = logging.getLogger(__name__)


def list_violations(
    root: Path, limit: int = 50, camera_id: str | None = None
) -> list[dict[str, Any]]:
    """Newest first (by start day, then last write), at most `limit`."""
    if not root.is_dir():
        return []
    cam = camera_id if camera_id is not None else "*"
    metas: list[tuple[str, float, Path]] = []
    for meta in root.glob(f"*/{cam}/*/*/{META_NAME}"):
        try:
            metas.append((meta.parent.parent.name, meta.stat().st_mtime, meta))
        except FileNotFoundError:
            continue  # removed by retention meanwhile
    metas.sort(key=lambda m: (m[0], m[1]), reverse=True)
    out: list[dict[str, Any]] = []
    for _, _, meta in metas:
        if len(out) >= limit:
            break
        try:
            out.append(json.loads(meta.read_text()))
        except (OSError, ValueError) as e:
            log.warning("skipping unreadable %s: %s", meta, e)
    return out
