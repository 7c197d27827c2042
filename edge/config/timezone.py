"""The site's time zone: the configured IANA name, else the box's own zone."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def site_timezone(name: str | None) -> ZoneInfo:
    if name:
        return ZoneInfo(name)
    return local_timezone()


def local_timezone() -> ZoneInfo:
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        link = Path("/etc/localtime").resolve()
        if "zoneinfo/" in str(link):
            candidates.append(str(link).split("zoneinfo/", 1)[1])
    except OSError:
        pass
    for c in candidates:
        if c:
            try:
                return ZoneInfo(c)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")
