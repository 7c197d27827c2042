"""The example site file works on a fresh checkout: its zones fire on the sample clips."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config import parse_config
from edge.core.detect import open_detectors
from edge.replay import ReplayOptions, run_replay

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"


@pytest.mark.parametrize(("camera", "until_s", "zones"), [
    ("desk", 30.0, {"table-post", "press-area"}),
    ("plaza", 60.0, {"lawn"}),
])
def test_example_zones_fire_on_the_sample_clips(
    assets: Path, camera: str, until_s: float, zones: set[str]
) -> None:
    # The example points at ../shared/assets beside the checkout; follow SITEWARDEN_ASSETS.
    text = EXAMPLE.read_text().replace("../../shared/assets", str(assets))
    cfg = parse_config(text, base_dir=EXAMPLE.parent)
    sessions, _ = open_detectors(cfg)
    opts = ReplayOptions(camera, Path(cfg.camera(camera).url), until_s=until_s)
    result = run_replay(cfg, opts, sessions, [])
    started = {e.violation.zone_id for e in result.events
               if e.violation is not None and e.violation.phase == "started"}
    assert started == zones
