"""Opaque keyset cursors: the (started_ts, violation_id) of the last row of a page.

A page continues strictly after that key in (started_ts DESC, violation_id DESC) order, so
rows inserted or decided meanwhile never make a page repeat or skip a row that still
matches. The float round-trips exactly through JSON (repr is shortest-exact).
"""

from __future__ import annotations

import base64
import binascii
import json

from console.store.errors import InvalidInput


def encode(started_ts: float, violation_id: str) -> str:
    raw = json.dumps([started_ts, violation_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, vid = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidInput("malformed cursor") from None
    if not isinstance(ts, int | float) or not isinstance(vid, str):
        raise InvalidInput("malformed cursor")
    return float(ts), vid
