"""The editor's texts: its own catalogs (editor.en.json, editor.zh-CN.json) have the same
keys and placeholders, and every key its template and scripts ask for is in them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from console.web.i18n import catalog

WEB = Path(__file__).resolve().parents[2] / "console" / "web"


def own(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WEB / "i18n" / f"editor.{lang}.json").read_text("utf-8"))
    return data


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    en, zh = own("en"), own("zh-CN")
    assert set(en) == set(zh)
    for key in en:
        assert en[key].strip() and zh[key].strip(), key
        assert set(re.findall(r"\{\w+\}", en[key])) == set(re.findall(r"\{\w+\}", zh[key])), key
    assert not set(en) & set(json.loads((WEB / "i18n" / "en.json").read_text("utf-8")))
    assert catalog("zh-CN")["editor.new_zone"] == zh["editor.new_zone"]  # merged in


def test_every_key_used_exists_and_the_buttons_say_what_the_issue_says() -> None:
    en = own("en")
    used = set(re.findall(r"""_\(\s*["']([a-z_]+\.[a-z_.0-9]+)["']""",
                          (WEB / "templates" / "editor.html").read_text()))
    for script in (WEB / "static" / "js").glob("editor*.js"):
        text = script.read_text()
        used |= {"js." + k for k in re.findall(r"""\bt\("([a-z_]+\.[a-z_.0-9]*[a-z0-9])"[,)]""",
                                              text)}
        for prefix in re.findall(r"""\bt\("([a-z_]+\.[a-z_.]*\.)" \+""", text):
            assert [k for k in en if k.startswith("js." + prefix)], prefix
    assert sorted(k for k in used if k not in en and k not in catalog("en")) == []
    for key in ("js.editor.draw_hint", "js.editor.draw_line_hint"):
        assert key in en
    assert [en[f"editor.{k}"] for k in ("new_zone", "save", "preview", "undo")] == [
        "New zone", "Save", "Preview", "Undo"]
