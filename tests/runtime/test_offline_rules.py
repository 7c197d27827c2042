"""A camera that cannot be watched raises no absence alarm: its rule clocks pause."""

from __future__ import annotations

import time
from pathlib import Path

from tests.rtsp_server import wait_until
from tests.runtime.helpers import camera, running, site, to_config, whole_frame_zone


def test_offline_camera_duty_post_raises_no_absence_alarm(
    assets: Path, tmp_path: Path, refused_url: str
) -> None:
    doc = site(assets, tmp_path, [camera("gate", refused_url)],
               [whole_frame_zone("desk", "gate", kind="duty_post", absence_s=1.0,
                                 return_s=0.5)])
    with running(to_config(doc)) as run:
        assert wait_until(lambda: run.of("camera.offline"), 10)
        offline = run.of("camera.offline")[0]["data"]
        assert offline["unwatched_zones"] == ["desk"]
        # Several times absence_s of housekeeping ticks (0.2 s) with nobody seen: a dead
        # camera, not an empty post.
        time.sleep(4.0)
        assert run.of("violation.duty_post") == []
        assert run.stats("gate")["state"] == "offline"
