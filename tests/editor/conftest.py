"""Fixtures of the editor's tests: a running box (module-scoped: it takes seconds to start
and the tests of a module share it, each with zones of its own), Debian's chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.editor.boxkit import Box

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def box(assets: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Box]:
    # the test site file names ${CORNER_LABEL}: it must stay unexpanded in the file
    old = os.environ.get("CORNER_LABEL")
    os.environ["CORNER_LABEL"] = "Corner"
    b = Box.start(assets, tmp_path_factory.mktemp("box"))
    try:
        yield b
    finally:
        b.stop()
        if old is None:
            os.environ.pop("CORNER_LABEL", None)
        else:
            os.environ["CORNER_LABEL"] = old
