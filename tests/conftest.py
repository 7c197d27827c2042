from __future__ import annotations

import os
from pathlib import Path

import pytest

from edge.assets import ENV_VAR, assets_dir

REQUIRED_ASSETS = Path(__file__).with_name("required_assets.txt")


def required_assets() -> list[str]:
    """The asset files the tests read (tests/required_assets.txt), relative to the folder."""
    lines = REQUIRED_ASSETS.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def assets_problem(d: Path) -> str | None:
    """Why the tests cannot use `d` as the assets folder, or None."""
    where = (f"${ENV_VAR}={os.environ[ENV_VAR]}" if os.environ.get(ENV_VAR)
             else f"${ENV_VAR} is not set, so ../shared/assets beside the checkout is used")
    fix = (f"put the shared assets (models, videos, annotated images; see SOURCES.md) there "
           f"or set {ENV_VAR} to their folder")
    if not d.is_dir():
        return f"shared test assets not found: {d} is not a folder ({where}); {fix}"
    missing = [f for f in required_assets() if not (d / f).is_file()]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if
                                           len(missing) > 10 else "")
        return (f"shared test assets incomplete: {d} lacks {len(missing)} file(s) the tests "
                f"read: {shown} ({where}); {fix}")
    return None


@pytest.fixture(scope="session")
def assets() -> Path:
    """The shared assets folder. Missing assets FAIL the tests that need them: a skip would
    let CI pass with the detector, replay and live tests left out."""
    d = assets_dir()
    problem = assets_problem(d)
    if problem:
        pytest.fail(problem, pytrace=False)
    return d
