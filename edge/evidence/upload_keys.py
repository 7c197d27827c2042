"""Object keys for uploaded evidence: a pure function of the file's place on the box.

    <prefix>/<site_id>/<box_id>/<camera_id>/<YYYY>/<MM>/<DD>/<violation_id>/<file name>

Site first, then box, camera and day, because that is how the centre lists evidence ("plant 7
yesterday") and how operators write lifecycle rules (expire one site's clips after 90 days, move
a day to cold storage) — both work on key prefixes. The key is derived from the local path
(`<root>/<site>/<camera>/<YYYY-MM-DD>/<violation>/<name>`, already made of safe characters), so
a box restarted with a backlog, or a file enqueued twice, gets the same key: uploads are
idempotent.
"""

from __future__ import annotations

from pathlib import Path

from edge.evidence.files import safe_component

CONTENT_TYPES = {".jpg": "image/jpeg", ".mp4": "video/mp4", ".json": "application/json"}


def violation_prefix(prefix: str, box_id: str, directory: Path) -> str:
    """Key prefix (ending in "/") of one violation folder of the evidence store."""
    site, camera, day, violation = directory.parts[-4:]
    year, month, dom = day.split("-")
    parts = (prefix, site, safe_component(box_id), camera, year, month, dom, violation)
    return "/".join(p for p in parts if p) + "/"


def object_key(prefix: str, box_id: str, path: Path) -> str:
    return violation_prefix(prefix, box_id, path.parent) + path.name


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
