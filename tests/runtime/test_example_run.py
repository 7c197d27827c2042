"""`sitewarden run examples/site.yaml` as a newcomer runs it (README's first screen): no
token to set, the console up, the first admin's printed password logs in, and the
example's zones raise violations on the sample clips within their first half minute."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.rtsp_server import free_port, wait_until
from tests.runtime.runkit import BoxProcess, stop_box

pytestmark = pytest.mark.slow
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"


def test_the_example_site_runs_and_its_console_shows_violations(
    assets: Path, tmp_path: Path
) -> None:
    port = free_port()
    # Only what differs on a test machine: the assets' folder, a free port, a temp store.
    text = (EXAMPLE.read_text().replace("../../shared/assets", str(assets))
            .replace("port: 8080", f"port: {port}")
            .replace("directory: ../var/sitewarden", f"directory: {tmp_path / 'var'}"))
    assert text.count(str(assets)) == 3 and f"port: {port}" in text
    site = tmp_path / "site.yaml"
    site.write_text(text)
    proc = BoxProcess([sys.executable, "-m", "edge.cli", "run", str(site)])
    try:
        assert wait_until(lambda: proc.admin_password() is not None or proc.poll() is not None,
                          30), proc.output()
        assert proc.poll() is None, proc.output()
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as web:
            assert wait_until(lambda: _up(web), 10), proc.output()
            login = web.post("/api/login", json={"username": "admin",
                                                  "password": proc.admin_password()})
            assert login.status_code == 200, login.text
            # desk: the table is left at ~4.6 s (duty post) and stood at (press area)
            assert wait_until(lambda: {"table-post", "press-area"} <= {
                v["zone_id"] for v in web.get("/api/violations").json()["items"]}, 40), \
                proc.output()[-3000:]
            assert web.get("/").status_code == 200
        stop_box(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def _up(web: httpx.Client) -> bool:
    try:
        return web.get("/health").status_code in (200, 503)
    except httpx.HTTPError:
        return False
