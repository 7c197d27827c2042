"""Validation problems of an edited site file, as the editor shows them.

The editor validates with `edge.config.parse_config`, the same as `sitewarden check`, so a
file the editor saves is one the box loads. Its problems are one line each ("zones[3].points:
polygon is not simple ... (line 45)"); here they become {path, loc, msg, line} with the zone
or camera they are about, so that the page can show each next to its field or its polygon.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from edge.config import ConfigError

_PROBLEM = re.compile(
    r"^(?P<path>[A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*|\(top level\)): (?P<msg>.*?)"
    r"(?: \(line (?P<line>\d+)\))?$", re.S)
_PART = re.compile(r"\[(\d+)\]|\.?([A-Za-z_]\w*)")


class Invalid(Exception):
    """An edit the site file's models refuse; `problems` as `structured` returns them."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{p['path']}: {p['msg']}" for p in problems))
        self.problems = problems


def parse_path(path: str) -> list[str | int]:
    if path == "(top level)":
        return []
    return [int(m.group(1)) if m.group(1) is not None else m.group(2)
            for m in _PART.finditer(path)]


def structured(err: ConfigError, data: dict[str, Any]) -> list[dict[str, Any]]:
    """`err`'s problems with the ids of the zones and cameras (of the edited file `data`)
    they name."""
    return [problem(text, data) for text in err.problems]


def problem(text: str, data: dict[str, Any]) -> dict[str, Any]:
    m = _PROBLEM.match(text)
    if m is None:
        return {"path": "", "loc": [], "msg": text, "line": None}
    loc = parse_path(m.group("path"))
    out: dict[str, Any] = {"path": m.group("path"), "loc": loc, "msg": m.group("msg"),
                           "line": int(m.group("line")) if m.group("line") else None}
    out.update(_subject(loc, data))
    return out


def _subject(loc: Sequence[str | int], data: dict[str, Any]) -> dict[str, Any]:
    """{zone_id | camera_id, field}: what the problem is about, for the page."""
    if len(loc) < 2 or loc[0] not in ("zones", "cameras") or not isinstance(loc[1], int):
        return {}
    items = data.get(str(loc[0])) or []
    if not 0 <= loc[1] < len(items) or not isinstance(items[loc[1]], dict):
        return {}
    key = "zone_id" if loc[0] == "zones" else "camera_id"
    return {key: items[loc[1]].get("id"), "field": list(loc[2:])}
