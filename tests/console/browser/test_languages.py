"""Chinese and English: the browser's language picks the catalog, the header switches it,
no page shows a raw catalog key, times are the site's."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.console.browser.kit import TZ, Console, Watched

pytestmark = [pytest.mark.assets, pytest.mark.slow]
CATALOG = Path(__file__).resolve().parents[3] / "console" / "web" / "i18n" / "en.json"
# What people read: the text (scripts and the texts block left out) and the attributes a
# browser shows (tooltips, placeholders, labels for screen readers, alt texts).
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("script, style").forEach(e => e.remove());
  const attrs = [...document.querySelectorAll("[title], [placeholder], [aria-label], [alt]")]
    .flatMap(e => ["title", "placeholder", "aria-label", "alt"].map(a => e.getAttribute(a)))
    .filter(Boolean);
  return body.textContent + "\\n" + attrs.join("\\n") + "\\n" + document.title;
}"""


def _raw_keys(page: Page) -> list[str]:
    keys = json.loads(CATALOG.read_text("utf-8"))
    groups = sorted({k.split(".")[0] for k in keys} | {k.split(".")[1] for k in keys
                                                       if k.startswith("js.")})
    text = page.evaluate(VISIBLE_TEXT)
    pattern = rf"\b(?:{'|'.join(groups)})\.[a-z][a-z_]+\b"
    return [m for m in re.findall(pattern, text) if not m.startswith(("plant-", "edge-"))]


def _pages(console: Console) -> list[str]:
    v = next(v for v in console.violations() if v.evidence_ready)
    return ["/", "/violations", f"/violations/{v.violation_id}", "/cameras", "/stats",
            "/users"]


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_no_page_shows_a_raw_key(console: Console, pages: Watched, locale: str) -> None:
    page = pages.page("root", locale=locale)
    for path in _pages(console):
        page.goto(path)
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN" if locale == "zh-CN"
                                                       else "en")
        if path in ("/", "/violations"):
            page.keyboard.press("?")  # the keys dialog's text too
        assert _raw_keys(page) == [], path


def test_accept_language_then_the_switch(console: Console, pages: Watched) -> None:
    page = pages.page("ops", locale="zh-CN")
    page.goto("/")
    expect(page.locator(".main-nav a").first).to_have_text("待处理")
    expect(page.locator(".page-head h1")).to_have_text("待处理")
    page.click(".lang-switch")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".page-head h1")).to_have_text("Inbox")
    page.click(".lang-switch")
    expect(page.locator(".page-head h1")).to_have_text("待处理")


def test_times_are_the_sites(console: Console, pages: Watched) -> None:
    v = console.violations()[0]
    page = pages.page("ops", locale="en-US")
    page.goto(f"/violations/{v.violation_id}")
    local = datetime.fromisoformat(v.started_at).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")
    expect(page.locator(".summary time").first).to_have_text(local)
    expect(page.locator(".summary .tz-note")).to_contain_text("Asia/Shanghai")
