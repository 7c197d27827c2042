"""The main pages on a 1366x768 control-room monitor and a 390x844 phone: nothing overflows
sideways on the phone; screenshots of the inbox and a violation for docs/screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.console.browser.kit import DESKTOP, PHONE, Console, Watched, screenshots_dir

pytestmark = [pytest.mark.assets, pytest.mark.slow]


def _no_sideways_overflow(page: Page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"{page.url}: {width[0]} px wide in a {width[1]} px window"


def _pick(console: Console) -> str:
    """A violation with its evidence (a clip), the newest such."""
    return next(v.violation_id for v in console.violations() if v.evidence_ready)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_main_pages_fit(console: Console, pages: Watched, tmp_path: Path, size: str) -> None:
    viewport = DESKTOP if size == "desktop" else PHONE
    page = pages.page("ops", viewport)
    vid = _pick(console)
    shots = screenshots_dir(tmp_path)
    for path, name in (("/", "inbox"), (f"/violations/{vid}", "detail"),
                       ("/violations", "violations"), ("/cameras", "cameras"),
                       ("/stats", "stats")):
        page.goto(path)
        page.wait_for_load_state("networkidle") if path != "/" and "violations" not in path \
            else page.wait_for_timeout(300)
        _no_sideways_overflow(page)
        if name in ("inbox", "detail") or size == "desktop":
            page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=name != "detail")
