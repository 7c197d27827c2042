from __future__ import annotations

from pathlib import Path

import pytest

from edge.assets import assets_dir


@pytest.fixture(scope="session")
def assets() -> Path:
    d = assets_dir()
    if not d.is_dir():
        pytest.skip(f"shared assets not found at {d} (set SITEWARDEN_ASSETS)")
    return d
