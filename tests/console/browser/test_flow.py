"""An operator's shift, through the real console: log in, a violation arrives live (with
the chime), filter, open one, the clip plays, decide a false alarm with the keyboard, the
activity log and the statistics show it; claims seen by a second operator; bulk decisions."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from console.store import UNHANDLED
from tests.console.browser.kit import PEOPLE, Console, Watched, wait_until

pytestmark = [pytest.mark.assets, pytest.mark.slow]


def _row(page: Page, violation_id: str) -> str:
    return f'[data-row][data-id="{violation_id}"]'


def test_login_then_a_violation_arrives_live_with_the_chime(console: Console,
                                                           pages: Watched) -> None:
    page = pages.page(user=None)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.fill("input[name=username]", "ops")
    page.fill("input[name=password]", PEOPLE["ops"][1])
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    unhandled = console.violations(decision=UNHANDLED)
    expect(page.locator("[data-row]")).to_have_count(len(unhandled))
    expect(page.locator(".counts .big")).to_have_text(str(len(unhandled)))
    expect(page.locator("[data-live-state]")).to_have_attribute("data-live-state", "live")
    kinds = {k: len([v for v in unhandled if v.kind == k]) for k in ("danger_zone", "duty_post")}
    for kind, text in (("danger_zone", "Danger zone"), ("duty_post", "Duty post")):
        chip = page.locator(f".chip[href*='kind={kind}']")
        expect(chip).to_have_text(f"{text}{kinds[kind]}")
        assert "decision=unhandled" in (chip.get_attribute("href") or "")

    toggle = page.locator("[data-chime-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "false")  # off by default
    toggle.click()  # the click is also the gesture that lets the browser play sound
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(toggle).to_have_text("Sound on")
    page.evaluate("window.__notReloaded = true")

    held = console.replay.held_id
    assert page.locator(_row(page, held)).count() == 0
    console.ingest_held()
    expect(page.locator(_row(page, held))).to_be_visible(timeout=10_000)
    assert page.evaluate("window.__notReloaded") is True  # arrived without a reload
    expect(page.locator("[data-row]").first).to_have_attribute("data-id", held)  # newest first
    expect(page.locator(".counts .big")).to_have_text(str(len(unhandled) + 1))
    expect(page.locator("body")).to_have_attribute("data-chimed", re.compile(r"^\d+$"))
    expect(page).to_have_title(re.compile(rf"^\({len(unhandled) + 1}\) Inbox"))

    page.reload()  # the toggle is remembered
    expect(page.locator("[data-chime-toggle]")).to_have_attribute("aria-pressed", "true")


def test_filters_live_in_the_url_and_pages_follow_the_cursor(console: Console,
                                                            pages: Watched) -> None:
    page = pages.page("ops")
    page.goto("/violations")
    total = len(console.violations())
    expect(page.locator("[data-row]")).to_have_count(total)
    page.select_option("select[name=kind]", "danger_zone")
    page.select_option("select[name=decision]", "unhandled")
    page.click(".filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"/violations\?kind=danger_zone&decision=unhandled$"))
    danger = console.violations(kind="danger_zone", decision=UNHANDLED)
    expect(page.locator("[data-row]")).to_have_count(len(danger))
    expect(page.locator("[data-row] .kind")).to_have_text(["Danger zone"] * len(danger))

    # a shared link opens the same view; pages of 4 follow the keyset cursor
    page.goto("/violations?limit=4")
    seen: list[str] = []
    while True:
        ids = page.locator("[data-row]").evaluate_all("rs => rs.map(r => r.dataset.id)")
        assert 1 <= len(ids) <= 4
        seen += ids
        nxt = page.locator("[data-next-page]")
        if nxt.count() == 0:
            break
        nxt.click()
        expect(page).to_have_url(re.compile(r"limit=4&cursor="))
    assert seen == [v.violation_id for v in console.violations()]


def test_the_clip_plays_from_pre_roll_with_the_start_marked(console: Console,
                                                          pages: Watched) -> None:
    v = next(v for v in console.violations() if v.evidence_ready)
    clip = v.evidence["clip"]
    page = pages.page("ops")
    page.goto(f"/violations/{v.violation_id}")
    video = page.locator("video[data-video]")
    expect(video).to_have_attribute("src", clip["url"])
    # It plays by itself (muted autoplay), from the start of the pre-roll.
    wait_until(lambda: video.evaluate("v => v.currentTime") > 1.0, 15, "the clip to play")
    state = video.evaluate("v => ({error: v.error && v.error.code, w: v.videoWidth,"
                           " d: v.duration, ready: v.readyState})")
    assert state["error"] is None and state["w"] == 768 and state["ready"] >= 2, state
    assert abs(state["d"] - clip["duration_s"]) < 0.5, state
    marker = page.locator("[data-marker]").evaluate("m => parseFloat(m.style.left)")
    assert marker == pytest.approx(100 * clip["start_offset_s"] / clip["duration_s"], abs=0.1)

    page.click("[data-jump-start]")
    start = clip["start_offset_s"]
    wait_until(lambda: video.evaluate("v => v.currentTime") > start + 0.3, 10,
               "playing on from the start")
    at = video.evaluate("v => v.currentTime")
    assert start <= at < start + 3.0
    head = page.locator("[data-playhead]").evaluate("h => parseFloat(h.style.left)")
    assert head >= 100 * start / clip["duration_s"]
    # the annotated and the raw snapshot are both there, loaded
    snaps = page.locator(".snaps img")
    expect(snaps).to_have_count(2)
    snaps.nth(1).scroll_into_view_if_needed()
    wait_until(lambda: snaps.evaluate_all("is => is.every(i => i.complete && i.naturalWidth)"),
               10, "the snapshots")


def test_false_alarm_by_keyboard_shows_in_activity_and_stats(console: Console,
                                                            pages: Watched) -> None:
    page = pages.page("ops")
    page.goto("/")
    rows = page.locator("[data-row]")
    first, second = (rows.nth(i).get_attribute("data-id") for i in (0, 1))
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcursor\b"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bcursor\b"))
    target = second
    assert target is not None and first is not None

    page.keyboard.press("f")
    dialog = page.locator("#reason-dialog")
    expect(dialog).to_be_visible()
    page.keyboard.press("2")  # outside the zone
    expect(dialog).to_be_hidden()
    expect(page.locator(_row(page, target))).to_have_count(0)  # handled: out of the inbox
    # the cursor stays where it was: on the row that took the decided one's place
    expect(page.locator("[data-row].cursor")).to_have_count(1)

    v = console.get(target)
    assert (v.decision, v.decision_reason, v.decided_by) == ("false_alarm", "outside_zone", "ops")
    sent = [e.to_wire() for e in console.emitted]  # the decision went on to the platform
    assert [(e["type"], e["data"]["violation_id"], e["data"]["decision"], e["data"]["reason"])
            for e in sent] == [("sitewarden.review.decided", target, "false_alarm",
                                "outside_zone")]

    page.goto(f"/violations/{target}")
    audit = page.locator(".audit-list li").first
    expect(audit).to_contain_text("ops decided: False alarm · Outside the zone")
    expect(page.locator(".review-status")).to_contain_text("False alarm · Outside the zone")

    page.goto("/stats")
    row = page.locator("[data-fa-zone] tbody tr", has_text=v.zone_id).filter(
        has=page.locator(f"td:text-is('{v.zone_id}')"))
    expect(row).to_have_count(1)
    expect(row.locator("td")).to_have_text([v.camera_id, v.zone_id, "1", "1", "100%"])
    # the page's export link gives the false alarm, raw snapshot and all
    with page.expect_download() as download:
        page.click("a[href^='/api/exports/false-alarms.zip']")
    with zipfile.ZipFile(download.value.path()) as zf:
        names = zf.namelist()
        index = json.loads(zf.read("index.json"))
    assert [e["violation_id"] for e in index["files"]] == [target], index
    assert index["missing_snapshots"] == 0
    assert any(n.endswith(".jpg") for n in names), names


def test_keys_help_and_no_keys_while_typing(console: Console, pages: Watched) -> None:
    page = pages.page("ops")
    page.goto("/violations")
    page.keyboard.press("?")
    expect(page.locator("#keys-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#keys-dialog")).to_be_hidden()
    page.click("input[name=zone]")
    page.keyboard.type("jjxf")
    expect(page.locator("input[name=zone]")).to_have_value("jjxf")
    expect(page.locator("[data-row].cursor")).to_have_count(0)
    expect(page.locator("[data-pick]:checked")).to_have_count(0)
    expect(page.locator("#reason-dialog")).to_be_hidden()
    page.locator("input[name=zone]").blur()
    page.keyboard.press("j")
    first = page.locator("[data-row]").first.get_attribute("data-id")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/violations/{first}$"))


def test_a_claim_is_seen_by_the_other_operator_at_once(console: Console,
                                                      pages: Watched) -> None:
    vid = console.violations(decision=UNHANDLED)[0].violation_id
    mine, theirs = pages.page("ops"), pages.page("ops2")
    for p in (mine, theirs):
        p.goto(f"/violations/{vid}")
        expect(p.locator("[data-live-state]")).to_have_attribute("data-live-state", "live")
    mine.click("[data-act=claim]")
    expect(mine.locator("[data-claim-line]")).to_contain_text("Claimed by ops")
    expect(theirs.locator("[data-claim-line]")).to_contain_text("Claimed by ops")  # no reload
    expect(theirs.locator("[data-decide=confirmed]")).to_be_disabled()
    pages.expect_error("status of 409")
    theirs.keyboard.press("c")  # the API refuses: someone else holds it
    expect(theirs.locator("#toast")).to_contain_text("ops holds this violation")

    mine.fill("[name=dispatched_to]", "Fire team 2")
    mine.fill("[data-decide-form] textarea", "smoke seen near the press")
    mine.click("[data-decide=dispatched]")
    expect(theirs.locator(".review-status")).to_contain_text("Dispatched")
    expect(theirs.locator(".review .decided")).to_contain_text("Fire team 2")
    v = console.get(vid)
    assert (v.decision, v.dispatched_to, v.decision_comment) == (
        "dispatched", "Fire team 2", "smoke seen near the press")

    theirs.fill("[data-decide-form] textarea", "not a fire: steam")
    theirs.click("[data-act=reopen]")
    expect(mine.locator(".review-status")).to_contain_text("Unhandled")
    expect(mine.locator(".audit-list li").first).to_contain_text("ops2 reopened it")


def test_bulk_decision_on_the_selected_rows_only(console: Console, pages: Watched) -> None:
    page = pages.page("ops")
    page.goto("/violations?decision=unhandled")
    bar = page.locator("[data-bulk-bar]")
    expect(bar).to_be_hidden()
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(bar).to_be_visible()
    expect(bar.locator("[data-bulk-count]")).to_have_text("2 selected")
    picked = page.locator("[data-pick]:checked").evaluate_all("bs => bs.map(b => b.value)")
    rows = page.locator("[data-row]").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert picked == [rows[0], rows[2]]
    bar.locator("[data-bulk=confirmed]").click()
    expect(page.locator("#toast")).to_contain_text("2 decided")
    expect(bar).to_be_hidden()
    for vid in rows:
        v = console.get(vid)
        assert (v.decision == "confirmed") == (vid in picked), vid
    # the filtered list (unhandled) loaded again without them
    expect(page.locator("[data-row]")).to_have_count(len(rows) - 2)
