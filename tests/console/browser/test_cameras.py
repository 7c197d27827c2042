"""The cameras page: each camera's state and since when, the box's health and storage, kept
current by the change stream (the events a box sends when a camera is moved or goes
offline, or its disk fills)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from publisher.events import box_event, camera_event
from tests.console.browser.kit import BOX, CAMERA, SITE, TZ, Console, Watched

pytestmark = [pytest.mark.assets, pytest.mark.slow]


def test_camera_and_box_states_arrive_live(console: Console, pages: Watched) -> None:
    page = pages.page("eve")
    page.goto("/cameras")
    expect(page.locator("[data-live-state]")).to_have_attribute("data-live-state", "live")
    row = page.locator("tr.cam-unknown", has_text=CAMERA)
    expect(row).to_be_visible()  # known from its violations only, no status yet

    moved_at = datetime.now(TZ).replace(microsecond=0) - timedelta(minutes=3)
    console.store.ingest(camera_event(SITE, BOX, CAMERA, "tampered", moved_at, {
        "reason": "moved", "reasons": ["moved"], "unwatched_zones": ["table"]}))
    row = page.locator("tr.cam-moved", has_text=CAMERA)
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_text("Moved")
    expect(row.locator("time")).to_have_text(moved_at.strftime("%Y-%m-%d %H:%M:%S"))
    expect(row).to_contain_text("Not watched: table")

    console.store.ingest(box_event(SITE, BOX, "degraded", moved_at + timedelta(minutes=1),
                                   {"part": "disk", "reason": "disk_full"}))
    storage = page.locator("tr", has_text=f"{SITE} / {BOX}").locator("[data-storage]")
    expect(storage).to_contain_text("Degraded")
    expect(storage).to_contain_text("disk: disk_full")

    console.store.ingest(camera_event(SITE, BOX, CAMERA, "offline",
                                      moved_at + timedelta(minutes=2), {"reason": "no frames"}))
    expect(page.locator("tr.cam-offline .badge")).to_have_text("Offline")
