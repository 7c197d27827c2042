"""The editor page in Debian's chromium against a running box: draw, drag, a refused
self-intersection, undo, save (the file keeps its comments; the box raises violations on the
new zone), a preview on the clip, a calibration clicked on a synthetic floor, a viewer
refused, a hand edit meanwhile. Any console error the test does not provoke fails it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.editor.boxkit import PEOPLE, Box, wait_until
from tests.editor.floor import CLICKED_M, image_point

pytestmark = [pytest.mark.assets, pytest.mark.slow]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# The standing table of tests/edge/test_golden_replay.py, drawn to the frame's bottom edge
# (people stand at its lower edge).
TABLE = [(0.45, 0.78), (0.75, 0.78), (0.75, 0.997), (0.45, 0.997)]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class Pages:
    """Logged-in pages whose console errors fail the test, but for those it provokes."""

    box: Box
    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def open(self, user: str, path: str, viewport: dict[str, int] = DESKTOP,
             touch: bool = False, locale: str = "en-GB") -> Page:
        ctx = self.browser.new_context(viewport=viewport, base_url=self.box.url,
                                       locale=locale, has_touch=touch)
        self.contexts.append(ctx)
        r = ctx.request.post("/api/login", data={"username": user, "password": PEOPLE[user][1]})
        assert r.ok, r.text()
        page = ctx.new_page()

        def on_console(msg: ConsoleMessage) -> None:
            if msg.type in ("error", "assert"):
                self.problems.append(f"console {msg.type}: {msg.text}")

        page.on("console", on_console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.goto(path)
        return page

    def expect_error(self, text: str) -> None:
        self.expected.append(text)

    def unexpected(self) -> list[str]:
        left, out = list(self.expected), []
        for p in self.problems:
            hit = next((e for e in left if e in p), None)
            if hit is None:
                out.append(p)
            else:
                left.remove(hit)
        return out


@pytest.fixture
def pages(box: Box, browser: Browser) -> Iterator[Pages]:
    p = Pages(box, browser)
    yield p
    for c in p.contexts:
        c.close()
    assert not p.unexpected(), "\n".join(p.unexpected())


def shots(tmp_path: Path) -> Path:
    d = SCREENSHOTS if os.environ.get("SITEWARDEN_SCREENSHOTS") == "1" else tmp_path
    d.mkdir(parents=True, exist_ok=True)
    return d


def wait_for_js(page: Page, expression: str, timeout_s: float = 30.0) -> None:
    """Poll a JS expression until it is true (as page.wait_for_function, 30 s). Not that:
    it compiles its predicate inside the page when it has to poll, and the console's CSP
    (no 'unsafe-eval') refuses it; page.evaluate is not subject to the page's CSP."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for: {expression}"
        page.wait_for_timeout(100)


def ready(page: Page) -> None:
    """The frame is shown and the site file loaded (the zone list is drawn)."""
    wait_for_js(page, "document.getElementById('ed-frame').naturalWidth > 0")
    expect(page.locator("#ed-list .ed-item, #ed-list p").first).to_be_visible()


def at(page: Page, x: float, y: float) -> tuple[float, float]:
    bb = page.get_by_test_id("zone-canvas").bounding_box()
    assert bb is not None
    return bb["x"] + x * bb["width"], bb["y"] + y * bb["height"]


def click(page: Page, x: float, y: float) -> None:
    page.mouse.click(*at(page, x, y))


def drag(page: Page, a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(*at(page, *a))
    page.mouse.down()
    page.mouse.move(*at(page, *b), steps=6)
    page.mouse.up()


def choose_source(page: Page, source: str) -> None:
    """Select a footage source once the page has listed it; if it never does, the failure
    says what the API lists (the page asks it when the site file is loaded)."""
    option = page.locator("#ed-source option").filter(has_text=source.split("/")[-1])
    try:
        expect(option).to_have_count(1)
    except AssertionError:
        r = page.request.get(page.evaluate("location.pathname").replace(
            "/cameras/", "/api/cameras/").replace("/zones", "/preview/sources"))
        raise AssertionError(f"{source} not offered; the API answers {r.status}: "
                             f"{r.text()[:500]}") from None
    page.locator("#ed-source").select_option(source)


def draw(page: Page, points: list[tuple[float, float]]) -> None:
    page.get_by_role("button", name="New zone", exact=True).click()
    for x, y in points:
        click(page, x, y)
    page.keyboard.press("Enter")


def test_draw_drag_refuse_undo_save_and_the_box_raises(box: Box, pages: Pages,
                                                      tmp_path: Path) -> None:
    page = pages.open("ina", "/cameras/desk/zones")
    ready(page)
    draw(page, TABLE)
    expect(page.locator("#ed-form [data-field='id'] input")).to_have_value("zone-1")
    expect(page.locator("#ed-form [data-field='kind'] select")).to_have_value("danger_zone")
    vertices = page.locator(".layer-handles circle.vertex")
    drag(page, (0.75, 0.997), (0.8, 0.97))  # a vertex moved
    click(page, 0.6, 0.78)  # the top edge's midpoint handle: a vertex inserted, selected
    expect(vertices).to_have_count(5)
    page.keyboard.press("Delete")  # and deleted again
    expect(vertices).to_have_count(4)
    click(page, 0.8, 0.97)  # select a vertex and nudge it one pixel up
    page.keyboard.press("ArrowUp")
    before = box.site_path.read_bytes()
    drag(page, (0.45, 0.78), (0.85, 0.88))  # now its edges cross
    expect(page.locator("g.shape.invalid")).to_have_count(1)
    pages.expect_error("422")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#ed-status")).to_contain_text("Not saved")
    expect(page.get_by_test_id("problem").first).to_contain_text("not simple")
    assert box.site_path.read_bytes() == before
    page.keyboard.press("Control+z")  # back to the dragged rectangle
    expect(page.locator("g.shape.invalid")).to_have_count(0)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#ed-status")).to_contain_text("Saved; the box is using the new zones")
    text = box.site_path.read_text()
    assert "# Zone editor test site: comments, key order and formatting" in text
    assert "  # A corner nobody walks into; the editor must leave it as it is.\n" in text
    assert "    label: ${CORNER_LABEL}\n" in text
    doc = yaml.safe_load(text)
    assert list(doc) == ["site_id", "box_id", "timezone", "detector", "cameras", "zones",
                         "storage", "http"]
    zone = next(z for z in doc["zones"] if z["id"] == "zone-1")
    assert zone["kind"] == "danger_zone" and len(zone["points"]) == 4
    assert zone["points"][2] == pytest.approx([0.8, 0.97], abs=0.01)
    page.screenshot(path=str(shots(tmp_path) / "editor.png"))
    wait_until(lambda: box.events("zone-1", "started"), 60, "a violation of the drawn zone")


def test_preview_shows_the_duty_post_absences_of_the_clip(box: Box, pages: Pages,
                                                          tmp_path: Path) -> None:
    page = pages.open("ina", "/cameras/desk/zones")
    ready(page)
    page.get_by_label("Live").check()
    draw(page, TABLE)
    form = page.locator("#ed-form")
    form.locator("[data-field='kind'] select").select_option("duty_post")
    form.locator("[data-field='absence_s'] input").fill("4.5")
    form.locator("[data-field='return_s'] input").fill("2")
    form.locator("[data-field='label'] input").fill("Inspection table")
    page.keyboard.press("Tab")
    source = str(box.sup.cfg.camera("desk").url)
    choose_source(page, source)
    page.locator("#ed-duration").fill("60")
    zone_id = form.locator("[data-field='id'] input").input_value()
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page.locator("#ed-preview-state")).to_contain_text("violation(s) in 60 s",
                                                              timeout=240_000)
    # the camera's other zones run in the preview too; the new duty post's absences:
    cards = page.locator(f"[data-testid='preview-violation'][data-zone='{zone_id}']")
    expect(cards).to_have_count(2)
    starts = sorted(float(s) for s in cards.evaluate_all(
        "cs => cs.map(c => c.getAttribute('data-start'))"))
    assert starts[0] == pytest.approx(4.6, abs=0.5) and starts[1] == pytest.approx(48.6, abs=0.5)
    wait_for_js(page, "[...document.querySelectorAll('.ed-violation img')]"
                      ".every(i => i.complete && i.naturalWidth > 0)")
    expect(page.locator(f".ed-timeline .tl-span[data-zone='{zone_id}']")).to_have_count(2)
    expect(page.locator("#ed-live-info")).to_contain_text("Live:")
    page.screenshot(path=str(shots(tmp_path) / "editor-preview.png"), full_page=True)
    # nothing was saved: a preview runs drafts
    assert "Inspection table" not in box.site_path.read_text()


def test_calibration_clicked_on_a_synthetic_floor(box: Box, pages: Pages,
                                                  tmp_path: Path) -> None:
    page = pages.open("ina", "/cameras/floor/zones")
    ready(page)
    page.get_by_role("button", name="Calibrate").click()
    page.get_by_role("button", name="Clear points").click()
    for g in CLICKED_M:
        click(page, *image_point(g))
    rows = page.get_by_test_id("cal-row")
    expect(rows).to_have_count(len(CLICKED_M))
    for i, (gx, gy) in enumerate(CLICKED_M):
        rows.nth(i).get_by_test_id("cal-x").fill(str(gx))
        rows.nth(i).get_by_test_id("cal-y").fill(str(gy))
        rows.nth(i).get_by_test_id("cal-y").press("Tab")
    expect(page.get_by_test_id("cal-rms")).to_contain_text("rms")
    residuals = [float(r) for r in page.get_by_test_id("cal-residual").all_inner_texts()]
    assert len(residuals) == len(CLICKED_M) and max(residuals) < 0.05, residuals
    expect(page.locator(".layer-grid line")).not_to_have_count(0)
    page.screenshot(path=str(shots(tmp_path) / "editor-calibration.png"))
    page.get_by_role("button", name="Save calibration").click()
    expect(page.locator("#ed-status")).to_contain_text("Calibration saved")
    cal = yaml.safe_load(box.site_path.read_text())["cameras"][1]["calibration"]
    assert len(cal["pairs"]) == len(CLICKED_M)
    assert cal["pairs"][0]["ground_m"] == [-2.0, -1.0]


def test_a_viewer_gets_403(pages: Pages) -> None:
    pages.expect_error("403")
    page = pages.open("vic", "/cameras/desk/zones")
    expect(page.locator("h1")).to_have_text("403")


def test_a_hand_edit_meanwhile_is_kept(box: Box, pages: Pages) -> None:
    page = pages.open("adm", "/cameras/desk/zones")
    ready(page)
    page.locator("#ed-list .ed-item", has_text="corner").click()
    page.locator("#ed-form [data-field='min_duration_s'] input").fill("7")
    page.keyboard.press("Tab")
    hand = box.site_path.read_text().replace("# A corner nobody walks into",
                                             "# A corner nobody walks into (checked by hand)")
    # Written as editors write (a new file renamed over the old): a write in place would let
    # the page's requests meanwhile read a half-written file without cameras (404s).
    edited = box.site_path.with_suffix(".hand")
    edited.write_text(hand)
    os.replace(edited, box.site_path)
    pages.expect_error("409")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("conflict")).to_be_visible()
    expect(page.get_by_test_id("conflict")).to_contain_text("Someone edited the site file")
    assert box.site_path.read_text() == hand


def test_phone_draws_and_fits_the_screen(box: Box, pages: Pages, tmp_path: Path) -> None:
    page = pages.open("ina", "/cameras/floor/zones", PHONE, touch=True)
    ready(page)
    page.get_by_role("button", name="New zone", exact=True).click()
    for x, y in [(0.2, 0.6), (0.6, 0.6), (0.6, 0.9)]:
        page.touchscreen.tap(*at(page, x, y))
    page.touchscreen.tap(*at(page, 0.2, 0.6))  # a tap on the first point closes it
    expect(page.locator("#ed-list .ed-item")).to_have_count(
        1 + sum(1 for z in yaml.safe_load(box.site_path.read_text())["zones"]
                if z["camera"] == "floor"))
    width = page.evaluate("document.scrollingElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('*')].filter(e =>
        e.getBoundingClientRect().right > innerWidth + 1).map(e => e.tagName + '#' + e.id + '.'
        + e.getAttribute('class') + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert width <= PHONE["width"], wide
    for name in ("New zone", "Save", "Preview", "Undo"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    page.screenshot(path=str(shots(tmp_path) / "editor-phone.png"))


def test_line_with_direction_mask_and_copy_to_another_camera(box: Box, pages: Pages) -> None:
    page = pages.open("ina", "/cameras/floor/zones")
    ready(page)
    page.get_by_role("button", name="New line").click()
    click(page, 0.2, 0.5)
    click(page, 0.8, 0.5)  # a line ends at its second point
    form = page.locator("#ed-form")
    expect(form.locator("[data-field='kind'] select")).to_have_value("line")
    expect(page.locator("path.arrow")).to_have_count(2)  # both ways by default
    form.locator("[data-field='direction'] select").select_option("in")
    expect(page.locator("path.arrow")).to_have_count(1)
    line_id = form.locator("[data-field='id'] input").input_value()
    page.get_by_role("button", name="New mask").click()
    for x, y in [(0.85, 0.1), (0.95, 0.1), (0.95, 0.3)]:
        click(page, x, y)
    page.keyboard.press("Enter")
    expect(page.locator("#ed-list .ed-item", has_text="Exclusion mask")).to_have_count(1)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#ed-status")).to_contain_text("Saved")
    text = box.site_path.read_text()
    assert "url: " in text and "   # a synthetic floor with a 1 m grid\n" in text
    doc = yaml.safe_load(text)
    line = next(z for z in doc["zones"] if z["id"] == line_id)
    assert line["direction"] == "in" and line["points"] == [[0.2, 0.5], [0.8, 0.5]]
    assert len(doc["cameras"][1]["exclusions"]) == 1
    page.locator("#ed-list .ed-item", has_text=line_id).click()
    page.locator("#ed-copy-to").select_option("desk")
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("#ed-status")).to_contain_text("copied to camera desk")
    copies = [z for z in yaml.safe_load(box.site_path.read_text())["zones"]
              if z["camera"] == "desk" and z["kind"] == "line"]
    assert len(copies) == 1 and copies[0]["id"] != line_id


def test_chinese_page(pages: Pages) -> None:
    page = pages.open("ina", "/cameras/desk/zones", locale="zh-CN")
    ready(page)
    for name in ("新建区域", "保存", "预演", "撤销"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_visible()
    page.locator("#ed-list .ed-item").first.click()
    expect(page.locator("#ed-list .ed-item").first).to_contain_text("危险区域")
