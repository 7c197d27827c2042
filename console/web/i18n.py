"""Chinese and English: every text of the pages comes from a catalog (i18n/<lang>.json).

The language is the `sw_lang` cookie (the switch in the page header), else the browser's
Accept-Language, else `http.language`. A key missing from a catalog falls back to English,
then to the key itself (a test keeps the catalogs complete).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fastapi import Request

LANGUAGES = ("en", "zh-CN")
LANG_COOKIE = "sw_lang"
_DIR = Path(__file__).resolve().parent / "i18n"

Translate = Callable[..., str]


@cache
def catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    # Parts built apart keep their texts in catalogs of their own (editor.en.json, ...).
    for part in sorted(_DIR.glob(f"*.{lang}.json")):
        data.update(json.loads(part.read_text(encoding="utf-8")))
    return data


def negotiate(request: Request, default: str = "en") -> str:
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in LANGUAGES:
        return cookie
    return from_accept_language(request.headers.get("accept-language", ""), default)


def from_accept_language(header: str, default: str = "en") -> str:
    """The best of our languages for an Accept-Language header (q-values honoured;
    any zh-* asks for Chinese: our catalog is in simplified characters)."""
    choices: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        lang = _ours(tag.strip())
        if lang is not None and q > 0:
            choices.append((-q, i, lang))
    return min(choices)[2] if choices else default


def _ours(tag: str) -> str | None:
    t = tag.lower()
    if t.startswith("zh"):
        return "zh-CN"
    if t.startswith("en"):
        return "en"
    return None


def translator(lang: str) -> Translate:
    own, english = catalog(lang), catalog("en")

    def translate(key: str, **values: object) -> str:
        text = own.get(key) or english.get(key) or key
        return text.format(**values) if values else text

    return translate
