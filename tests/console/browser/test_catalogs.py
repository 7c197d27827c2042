"""Every text of the pages comes from the catalogs: both have the same keys, and every key
a template or a script asks for is in them (a missing key would show as the raw key)."""

from __future__ import annotations

import json
import re
from pathlib import Path

WEB = Path(__file__).resolve().parents[3] / "console" / "web"


def _catalog(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WEB / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def test_both_catalogs_have_the_same_keys_and_no_empty_text() -> None:
    en, zh = _catalog("en"), _catalog("zh-CN")
    assert set(en) ^ set(zh) == set()
    assert [k for k, v in {**en, **zh}.items() if not v.strip()] == []
    # the same {placeholders} in both languages, or a text would lose its number
    for key in en:
        assert set(re.findall(r"\{\w+\}", en[key])) == set(re.findall(r"\{\w+\}", zh[key])), key


def test_every_key_the_templates_and_scripts_use_exists() -> None:
    en = _catalog("en")
    used = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"""_\(\s*["']([a-z_]+\.[a-z_.0-9]+)["']""", template.read_text()))
    scripts = set()
    for script in (WEB / "static" / "js").glob("*.js"):
        scripts |= set(re.findall(r"""sw\.t\("([a-z_]+\.[a-z_.0-9]*[a-z0-9])"[,)]""",
                                   script.read_text()))
    assert sorted(k for k in used if k not in en) == []
    assert sorted(k for k in scripts if f"js.{k}" not in en) == []
    # keys built at run time: "live." + state, "decision." + value, "review.done_" + action
    for dynamic in ("live.live", "live.reconnecting", "live.connecting", "review.done_claim",
                    "review.done_decision", "review.done_comment", "decision.false_alarm"):
        assert f"js.{dynamic}" in en, dynamic
