"""The violation list's filters as they travel in the page URL (so a view can be shared):
camera, zone, kind, decision, overdue, site, box, since, until (site-local times), cursor."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from console.store import UNHANDLED, ViolationFilter
from console.web.pages.common import DECISIONS

FIELDS = ("camera", "zone", "kind", "decision", "overdue", "site", "box", "since", "until")
MAX_LIMIT = 200  # as GET /api/violations


@dataclass(frozen=True)
class ListQuery:
    """What the URL asked for; `problems` names the values that were ignored."""

    values: dict[str, str] = field(default_factory=dict)
    limit: int = 50
    cursor: str | None = None
    problems: tuple[str, ...] = ()

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def url(self, path: str = "/violations", **changes: Any) -> str:
        """This view's URL with some parameters changed (None removes one); a filter
        change starts from the first page."""
        params: dict[str, Any] = {**self.values}
        if self.limit != 50:
            params["limit"] = self.limit
        if self.cursor and "cursor" not in changes:
            params["cursor"] = self.cursor
        for k, v in changes.items():
            if v is None or v == "":
                params.pop(k, None)
            else:
                params[k] = v
        query = urlencode(params)
        return f"{path}?{query}" if query else path

    @property
    def is_filtered(self) -> bool:
        return bool(self.values)

    def without_cursor(self) -> ListQuery:
        return replace(self, cursor=None)


def parse(query: dict[str, str], tz: tzinfo) -> tuple[ListQuery, ViolationFilter]:
    values = {k: query[k].strip() for k in FIELDS if query.get(k, "").strip()}
    problems: list[str] = []
    decision = values.get("decision")
    if decision is not None and decision not in (*DECISIONS, UNHANDLED):
        problems.append("decision")
        values.pop("decision")
        decision = None
    overdue = values.get("overdue")
    if overdue is not None and overdue not in ("1", "0"):
        problems.append("overdue")
        values.pop("overdue")
        overdue = None
    since, until = (_time(values, k, tz, problems) for k in ("since", "until"))
    limit = _limit(query.get("limit", ""), problems)
    filters = ViolationFilter(
        site_id=values.get("site"), box_id=values.get("box"), camera_id=values.get("camera"),
        zone_id=values.get("zone"), kind=values.get("kind"), decision=decision,
        overdue=None if overdue is None else overdue == "1", since_ts=since, until_ts=until)
    cursor = query.get("cursor") or None
    return ListQuery(values, limit, cursor, tuple(problems)), filters


def _time(values: dict[str, str], key: str, tz: tzinfo, problems: list[str]) -> float | None:
    """A `datetime-local` value (site time) or an ISO time with offset, as epoch seconds."""
    text = values.get(key)
    if text is None:
        return None
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        problems.append(key)
        values.pop(key)
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=tz)
    return t.timestamp()


def _limit(text: str, problems: list[str]) -> int:
    if not text:
        return 50
    try:
        n = int(text)
    except ValueError:
        problems.append("limit")
        return 50
    if not 1 <= n <= MAX_LIMIT:
        problems.append("limit")
        return 50
    return n
