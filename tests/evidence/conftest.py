from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def vtest(assets: Path) -> Path:
    return assets / "video" / "vtest_480x360.mp4"


@pytest.fixture(scope="session")
def people(assets: Path) -> Path:
    return assets / "video" / "one-by-one-person-detection.mp4"
