"""Fixtures of the page tests: Debian's chromium (Playwright's own download is not
reachable here), one replay per session, a console per test, pages that fail the test on
any console error or uncaught page error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.console.browser.kit import Console, Replayed, Watched, replay_once

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def replayed(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Replayed:
    return replay_once(assets, tmp_path_factory.mktemp("replay"))


@pytest.fixture
def console(replayed: Replayed, tmp_path: Path) -> Iterator[Console]:
    c = Console.start(replayed, tmp_path)
    yield c
    c.stop()


@pytest.fixture
def pages(console: Console, browser: Browser) -> Iterator[Watched]:
    """`pages.page(user, viewport)`: a logged-in page in its own browser context. At the
    end every context closes (before the server stops: open streams end cleanly) and any
    console error or uncaught exception fails the test."""
    watched = Watched(console.url, browser)
    yield watched
    watched.close()
    unexpected = watched.unexpected()
    assert not unexpected, "\n".join(unexpected)
