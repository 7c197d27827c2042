"""What every page shares: who asks, rendering with the page helpers, labels of the closed
vocabularies (kinds, decisions, reasons, states), the status colour of a violation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from console.roles import Action
from console.store import Decision, FalseAlarmReason
from console.web.context import ConsoleContext
from console.web.i18n import catalog, negotiate
from console.web.pages_base import render
from console.web.security import Principal, context, require

KINDS = ("danger_zone", "duty_post", "headcount", "line", "seal")
DECISIONS = tuple(d.value for d in Decision)
REASONS = tuple(r.value for r in FalseAlarmReason)  # the order is the 1-5 keys of the dialog

# FastAPI dependencies, named once: a page needs a login (READ), /users needs ADMIN.
reader = Depends(require(Action.READ))
admin = Depends(require(Action.ADMIN))


def page(request: Request, name: str, values: dict[str, Any] | None = None,
         status: int = 200) -> HTMLResponse:
    """Render a page or fragment with the helpers every template uses."""
    ctx = context(request)
    lang = negotiate(request, ctx.http.language)
    helpers: dict[str, Any] = {
        "label": labeller(lang),
        "status_of": status_of,
        "kinds": KINDS, "decisions": DECISIONS, "reasons": REASONS,
        "js_texts": js_texts(lang),
        "local_time_ts": lambda ts: local_time_ts(ts, ctx.timezone),
        "shown": shown,
    }
    helpers.update(values or {})
    return render(request, name, helpers, status=status)


def labeller(lang: str) -> Callable[[str, Any], str]:
    """`label("kind", "duty_post")`: the catalog's text for a vocabulary value, or the value
    itself when the catalog has none (a kind a newer box sends must not show a raw key)."""
    own, english = catalog(lang), catalog("en")

    def label(group: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        key = f"{group}.{value}"
        return own.get(key) or english.get(key) or str(value)

    return label


def js_texts(lang: str) -> dict[str, str]:
    """The texts the scripts show (`js.*` keys), handed over in a JSON block: the scripts
    never carry their own strings."""
    own, english = catalog(lang), catalog("en")
    return {k[3:]: own.get(k) or v for k, v in english.items() if k.startswith("js.")}


def status_of(item: dict[str, Any]) -> str:
    """The colour class of a violation: decided (green) over claimed (amber) over
    overdue/unhandled (red)."""
    if item.get("decision"):
        return "decided"
    if item.get("claimed_by"):
        return "claimed"
    if item.get("overdue"):
        return "overdue"
    return "unhandled"


def local_time_ts(ts: float | None, tz: tzinfo) -> str:
    """Epoch seconds shown in the site's time zone, to the second."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M:%S")


def shown(value: Any) -> str:
    """A configuration value in a few words: mappings as `key value` pairs, lists joined."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {shown(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list | tuple):
        return "; ".join(shown(v) for v in value) or "–"
    return str(value)


def ctx_of(request: Request) -> ConsoleContext:
    return context(request)


def may_decide(principal: Principal) -> bool:
    return principal.can(Action.DECIDE)
