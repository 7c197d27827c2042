"""The config watcher takes an edit only once the file has settled (no processes, no sleeps:
poll() is called by hand, mtimes are set explicitly)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from edge.config import SiteConfig
from edge.runtime import reload
from edge.runtime.reload import ConfigWatcher


def _doc(zones: list[str]) -> str:
    return yaml.safe_dump({
        "site_id": "s", "box_id": "b", "detector": {"model": "m.onnx"},
        "cameras": [{"id": "cam", "url": "rtsp://127.0.0.1/x"}],
        "zones": [{"id": z, "camera": "cam", "kind": "danger_zone",
                   "points": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]} for z in zones],
    }, sort_keys=False)


def _write(path: Path, text: str, t_ns: int) -> None:
    path.write_text(text)
    os.utime(path, ns=(t_ns, t_ns))


def test_an_edit_written_in_pieces_is_taken_whole(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    _write(path, _doc(["a", "b", "c"]), 1_000_000_000)
    applied: list[SiteConfig] = []
    w = ConfigWatcher(path, applied.append)
    edited = _doc(["a", "b", "c", "d"])
    half = edited[:edited.index("- id: b")]  # valid YAML, a valid site: zone a only
    _write(path, half, 2_000_000_000)
    assert not w.poll()  # seen once: maybe still being written
    _write(path, edited, 3_000_000_000)
    assert not w.poll()  # changed again
    assert w.poll()  # the same twice: settled
    assert [[z.id for z in c.zones] for c in applied] == [["a", "b", "c", "d"]]
    assert not w.poll() and w.reloads == 1 and w.rejected == 0


def test_an_edit_left_truncated_is_still_taken_when_it_settles(tmp_path: Path) -> None:
    """Settling is about time, not content: a file that stays short is what the user saved."""
    path = tmp_path / "site.yaml"
    _write(path, _doc(["a", "b"]), 1_000_000_000)
    applied: list[SiteConfig] = []
    w = ConfigWatcher(path, applied.append)
    _write(path, _doc(["a"]), 2_000_000_000)
    assert not w.poll()
    assert w.poll()
    assert [[z.id for z in c.zones] for c in applied] == [["a"]]


def test_a_file_written_while_it_is_read_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer starts after the settling check and finishes during the read."""
    path = tmp_path / "site.yaml"
    _write(path, _doc(["a", "b"]), 1_000_000_000)
    applied: list[SiteConfig] = []
    w = ConfigWatcher(path, applied.append)
    half = _doc(["a"])
    _write(path, half, 2_000_000_000)
    real_load = reload.load_config
    loads: list[int] = []

    def load_then_written(p: Path) -> SiteConfig:
        cfg = real_load(p)
        loads.append(1)
        if len(loads) == 1:
            _write(path, _doc(["a", "b", "c"]), 3_000_000_000)
        return cfg

    monkeypatch.setattr(reload, "load_config", load_then_written)
    assert not w.poll()  # seen once
    assert not w.poll()  # settled, read, but written meanwhile: not taken
    assert w.poll()  # the same since: taken
    assert [[z.id for z in c.zones] for c in applied] == [["a", "b", "c"]]
