"""Who may do what: nothing without a login (pages, fragments, API, stream, evidence); a
viewer sees but cannot decide (the page offers nothing, the API answers 403); only admins
manage users."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from console.store import UNHANDLED
from tests.console.browser.kit import PHONE, Console, Watched

pytestmark = [pytest.mark.assets, pytest.mark.slow]


def test_nothing_without_a_login(console: Console, pages: Watched) -> None:
    v = next(v for v in console.violations() if v.evidence_ready)
    page = pages.page(user=None)
    for path in ("/", "/violations?kind=duty_post", f"/violations/{v.violation_id}",
                 "/cameras", "/stats", "/users"):
        page.goto(path)
        expect(page).to_have_url(re.compile(r"/login\?next="))
        expect(page.locator("form[action='/login']")).to_be_visible()
    request = page.context.request
    evidence = [v.evidence["clip"]["url"], v.evidence["snapshot"]["url"]]
    for path in ("/api/violations", f"/api/violations/{v.violation_id}", "/api/counts",
                 "/api/stream", "/api/cameras", "/api/stats", "/api/stats.csv", "/api/users",
                 "/partials/inbox", f"/partials/violations/{v.violation_id}/review",
                 "/partials/cameras", *evidence):
        r = request.get(path, max_redirects=0)
        assert r.status == 401, (path, r.status)
    assert request.post(f"/api/violations/{v.violation_id}/decision",
                        data={"decision": "confirmed"}).status == 401


def test_a_viewer_sees_but_cannot_decide(console: Console, pages: Watched) -> None:
    vid = console.violations(decision=UNHANDLED)[0].violation_id
    page = pages.page("eve")
    page.goto("/")
    expect(page.locator("[data-row]").first).to_be_visible()
    expect(page.locator("[data-pick]")).to_have_count(0)  # nothing to select for bulk
    expect(page.locator("[data-bulk-bar]")).to_have_count(0)
    page.keyboard.press("j")
    page.keyboard.press("c")
    expect(page.locator("#toast")).to_contain_text("can look but not decide")

    page.goto(f"/violations/{vid}")
    expect(page.locator("[data-read-only]")).to_be_visible()
    expect(page.locator("[data-decide], [data-act]")).to_have_count(0)
    page.keyboard.press("f")
    expect(page.locator("#reason-dialog")).to_be_hidden()
    # The API itself refuses, CSRF token and all.
    pages.expect_error("status of 403")
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    status = page.evaluate(
        """([id, csrf]) => fetch(`/api/violations/${id}/decision`, {method: "POST",
             headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
             body: JSON.stringify({decision: "confirmed"})}).then(r => r.status)""",
        [vid, csrf])
    assert status == 403
    assert console.get(vid).decision is None
    # and admins' pages are not theirs
    pages.expect_error("status of 403")
    r = page.goto("/users")
    assert r is not None and r.status == 403
    expect(page.locator(".main-nav a[href='/users']")).to_have_count(0)


def test_an_admin_adds_a_user_who_then_logs_in(console: Console, pages: Watched) -> None:
    page = pages.page("root")
    page.goto("/users")
    form = page.locator("[data-user-add]")
    form.locator("[name=username]").fill("night")
    form.locator("[name=password]").fill("night shift 2026")
    form.locator("[name=role]").select_option("operator")
    form.locator("[name=sites]").fill("plant-7")
    form.locator("button[type=submit]").click()
    row = page.locator("[data-user=night]")
    expect(row).to_be_visible()
    expect(row.locator("[data-user-role]")).to_have_value("operator")
    expect(row.locator("[data-user-sites]")).to_have_value("plant-7")

    row.locator("[data-user-role]").select_option("viewer")
    row.locator("[data-user-save]").click()
    expect(page.locator("#toast")).to_contain_text("Saved")

    token = page.locator("[data-token-add]")
    token.locator("[name=name]").fill("platform")
    token.locator("button[type=submit]").click()
    expect(page.locator("[data-token-value]")).to_have_text(re.compile(r"^swt_"))
    expect(page.locator("[data-token=platform]")).to_be_visible()

    page.set_viewport_size(PHONE)
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width

    night = pages.page(user=None)
    night.goto("/login")
    night.fill("input[name=username]", "night")
    night.fill("input[name=password]", "night shift 2026")
    night.click("button[type=submit]")
    expect(night.locator(".who .user")).to_contain_text("night")
    expect(night.locator(".who .user")).to_contain_text("viewer")
