"""Where the shared test/demo assets live (models, videos, images with ground truth)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SITEWARDEN_ASSETS"


def assets_dir() -> Path:
    """`$SITEWARDEN_ASSETS`, else `../shared/assets` beside the checkout."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "assets"
