"""Manifest consistency and verified downloads from a real HTTP server on loopback."""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge.cli import app
from models.detector import Detector
from models.errors import FetchError, ModelError
from models.fetch import fetch_model, sha256_file
from models.manifest import get_entry, load_manifest
from tests.cli_result import assert_clean_exit

NAME = "light_person_detector_192"  # one of the asset models, served by the test server


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()


class Server:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        handler = type("H", (_Handler,), {"requests": self.requests})
        self._httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
        )
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, folder: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{folder}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def server(tmp_path: Path, models_dir: Path) -> Iterator[Server]:
    """Serves good/<file> (a byte copy of the asset), bad/<file> (one byte changed), empty/."""
    entry = get_entry(NAME)
    root = tmp_path / "srv"
    for folder in ("good", "bad", "empty"):
        (root / folder).mkdir(parents=True)
    shutil.copy(models_dir / entry.file, root / "good" / entry.file)
    data = bytearray((models_dir / entry.file).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (root / "bad" / entry.file).write_bytes(bytes(data))
    srv = Server(root)
    yield srv
    srv.stop()


def test_manifest_matches_the_asset_models(models_dir: Path) -> None:
    manifest = load_manifest()
    assert len(manifest) >= 5
    for entry in manifest.values():
        path = models_dir / entry.file
        assert entry.url.startswith("https://"), entry.name
        assert path.stat().st_size == entry.bytes, entry.name
        assert sha256_file(path) == entry.sha256, entry.name
        info = Detector.open(path).info
        assert (info.adapter, info.input_wh) == (entry.adapter, entry.input_wh), entry.name


def test_fetch_downloads_verifies_and_then_skips(server: Server, tmp_path: Path) -> None:
    entry = get_entry(NAME)
    dest = tmp_path / "models"
    first = fetch_model(entry, dest, url_base=server.url("good"), progress=False)
    assert first.downloaded and first.path == dest / entry.file
    assert sha256_file(first.path) == entry.sha256
    assert sorted(p.name for p in dest.iterdir()) == [entry.file]  # no temp file left
    assert len(server.requests) == 1

    second = fetch_model(entry, dest, url_base=server.url("good"), progress=False)
    assert not second.downloaded
    assert len(server.requests) == 1  # verified locally, nothing downloaded


def test_fetch_replaces_a_damaged_local_copy(server: Server, tmp_path: Path) -> None:
    entry = get_entry(NAME)
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / entry.file).write_bytes(b"half a model")
    result = fetch_model(entry, dest, url_base=server.url("good"), progress=False)
    assert result.downloaded
    assert sha256_file(dest / entry.file) == entry.sha256


def test_corrupted_download_is_refused_and_removed(server: Server, tmp_path: Path) -> None:
    entry = get_entry(NAME)
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match=rf"/bad/{entry.file}: sha256 mismatch .* discarded"):
        fetch_model(entry, dest, url_base=server.url("bad"), progress=False)
    assert list(dest.iterdir()) == []


def test_missing_file_on_server_is_http_404(server: Server, tmp_path: Path) -> None:
    entry = get_entry(NAME)
    dest = tmp_path / "models"
    with pytest.raises(FetchError, match=rf"/empty/{entry.file}: download failed: HTTP 404"):
        fetch_model(entry, dest, url_base=server.url("empty"), progress=False)
    assert list(dest.iterdir()) == []


def test_unreachable_server(tmp_path: Path) -> None:
    srv = Server(tmp_path)
    url = srv.url("x")
    srv.stop()  # nothing listens on that port now
    with pytest.raises(FetchError, match="download failed"):
        fetch_model(get_entry(NAME), tmp_path / "m", url_base=url, progress=False)


def test_unknown_model_name() -> None:
    with pytest.raises(ModelError, match="unknown model 'yolo9000'; known models: yolox_nano"):
        get_entry("yolo9000")


def test_cli_fetch_and_list(server: Server, tmp_path: Path) -> None:
    runner = CliRunner()
    dest = tmp_path / "cli-models"
    args = ["models", "fetch", NAME, "--dir", str(dest), "--url-base", server.url("good")]
    ok = runner.invoke(app, args)
    assert_clean_exit(ok, 0, f"{NAME}: {dest / get_entry(NAME).file} (downloaded)",
                      stream="stdout")
    again = runner.invoke(app, args)
    assert_clean_exit(again, 0, "already present, verified", stream="stdout")

    bad = runner.invoke(
        app,
        ["models", "fetch", NAME, "--dir", str(tmp_path / "b"), "--url-base", server.url("bad")],
    )
    assert_clean_exit(bad, 1, "sha256 mismatch")
    assert list((tmp_path / "b").iterdir()) == []  # nothing unverified is kept

    unknown = runner.invoke(app, ["models", "fetch", "nope", "--dir", str(dest)])
    assert_clean_exit(unknown, 1, "unknown model 'nope'")

    listing = runner.invoke(app, ["models", "list"])
    assert_clean_exit(listing, 0)
    for name in load_manifest():
        assert name in listing.stdout
    rows = [
        json.loads(line)
        for line in runner.invoke(app, ["models", "list", "--json"]).stdout.splitlines()
    ]
    assert {r["name"] for r in rows} == set(load_manifest())
