"""HTTP byte ranges (RFC 9110 §14) for one file: what a video player needs to seek."""

from __future__ import annotations

import re

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Inclusive (first, last) byte of a single range, or None to send the whole file.

    Multiple ranges and malformed headers are ignored (RFC allows answering 200 with the
    whole file); a well-formed range outside the file raises RangeNotSatisfiable (416).
    """
    if not header:
        return None
    m = _RANGE.match(header)
    if m is None:
        return None
    first_s, last_s = m.groups()
    if not first_s and not last_s:
        return None
    if not first_s:  # suffix: the last N bytes
        n = int(last_s)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - n), size - 1
    first = int(first_s)
    last = int(last_s) if last_s else size - 1
    if first >= size:
        raise RangeNotSatisfiable(header)
    if last < first:
        return None
    return first, min(last, size - 1)
