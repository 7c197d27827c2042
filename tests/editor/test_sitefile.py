"""Saving the site file: only over the version it was loaded at, earlier versions kept,
validation as `sitewarden check`, problems with their key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edge.web.problems import Invalid, problem
from edge.web.service import SiteService, Unreadable, add_zone, set_camera_key
from edge.web.sitefile import SiteFile, VersionConflict, version_of

SITE = """\
# a site
site_id: s
box_id: b
detector: {model: m.onnx}
cameras:
  - id: cam
    url: rtsp://x/y
zones: []
"""
ZONE = {"id": "z", "camera": "cam", "kind": "danger_zone",
        "points": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    p = tmp_path / "site.yaml"
    p.write_text(SITE)
    return p


def test_save_keeps_earlier_versions_newest_first(site: Path) -> None:
    f = SiteFile(site, backups=2)
    texts = [SITE + f"# edit {i}\n" for i in range(3)]
    version = f.read().version
    for t in texts:
        version = f.save(version, t)
    assert site.read_text() == texts[2]
    assert f.backup_path(1).read_text() == texts[1]
    assert f.backup_path(2).read_text() == texts[0]
    assert not f.backup_path(3).exists()
    assert version == version_of(texts[2].encode())


def test_a_file_changed_meanwhile_is_never_overwritten(site: Path) -> None:
    f = SiteFile(site)
    loaded = f.read().version
    site.write_text(SITE + "# by hand\n")
    with pytest.raises(VersionConflict) as e:
        f.save(loaded, SITE + "# editor\n")
    assert site.read_text() == SITE + "# by hand\n"
    assert e.value.current == version_of((SITE + "# by hand\n").encode())
    assert not f.backup_path(1).exists()
    assert [p.name for p in site.parent.iterdir()] == ["site.yaml"]  # no temporary left


def test_service_validates_like_check_and_names_the_path(site: Path) -> None:
    svc = SiteService(site)
    v = svc.snapshot()["version"]
    bad = dict(ZONE, points=[[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]])
    with pytest.raises(Invalid) as e:
        svc.save(v, add_zone(bad))
    [p] = e.value.problems
    assert p["path"] == "zones[0].points" and p["zone_id"] == "z" and p["field"] == ["points"]
    assert "not simple" in p["msg"] and p["line"] == 12  # the line of `points:`
    assert site.read_text() == SITE
    metric = dict(ZONE, buffer_m=1.0)
    with pytest.raises(Invalid) as e:
        svc.save(v, add_zone(metric))
    assert e.value.problems[0]["path"] == "zones[0].buffer_m"
    assert "calibration" in e.value.problems[0]["msg"]
    saved = svc.save(v, add_zone(ZONE))
    assert saved.diff.startswith("--- a/site.yaml\n+++ b/site.yaml\n")
    assert "+  - id: z\n" in saved.diff
    assert not saved.reloaded  # nobody watches this file


def test_duplicate_ids_and_degenerate_calibration_are_refused(site: Path) -> None:
    svc = SiteService(site)
    v = svc.save(svc.snapshot()["version"], add_zone(ZONE)).version
    with pytest.raises(Invalid) as e:
        svc.save(v, add_zone(ZONE))
    assert e.value.problems[0]["path"] == "zones[1].id"
    assert "used twice" in e.value.problems[0]["msg"]
    line = {"resolution_wh": [100, 100], "pairs": [
        {"image_norm": [0.1 * i, 0.5], "ground_m": [i, 0]} for i in range(1, 5)]}
    with pytest.raises(Invalid) as e:
        svc.save(v, set_camera_key("cam", "calibration", line))
    assert e.value.problems[0]["path"] == "cameras[0].calibration"
    assert e.value.problems[0]["camera_id"] == "cam"
    assert "collinear" in e.value.problems[0]["msg"]


def test_problem_lines_are_parsed() -> None:
    data = {"zones": [{"id": "a"}], "cameras": [{"id": "c"}]}
    p = problem("zones[0].filters.min_score: too big (line 7)", data)
    assert p == {"path": "zones[0].filters.min_score", "loc": ["zones", 0, "filters", "min_score"],
                 "msg": "too big", "line": 7, "zone_id": "a", "field": ["filters", "min_score"]}
    assert problem("no path here", data)["msg"] == "no path here"


BROKEN = SITE.replace("  - id: cam\n", "  - id: [cam\n")


def test_a_file_broken_by_hand_is_named_with_its_line_and_never_edited(site: Path) -> None:
    svc = SiteService(site)
    version = svc.snapshot()["version"]
    site.write_text(BROKEN)
    where = r"(?s)site\.yaml cannot be read as YAML.*in site\.yaml, line 7, column 8"
    with pytest.raises(Unreadable, match=where):
        svc.snapshot()
    with pytest.raises(Unreadable):
        svc.check(add_zone(ZONE))
    with pytest.raises(Unreadable):
        svc.save(version_of(BROKEN.encode()), add_zone(ZONE))
    assert site.read_text() == BROKEN
    site.write_text(SITE)  # mended: the editor works again
    assert svc.snapshot()["version"] == version


def test_a_file_caught_half_written_is_read_again(site: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor read the file while a hand edit was writing it in place (`>`): the first
    read got half of it, which even parses (as a site whose camera is empty); the file
    changed during the read, so it is read again."""
    svc = SiteService(site)
    full = SITE + "# edited by hand\n"
    real_read = SiteFile.read
    reads = []

    def half_then_done(self: SiteFile) -> Any:
        snap = real_read(self)
        reads.append(snap)
        if len(reads) == 1:
            site.write_text(full)  # the writer finishes after our read
            return type(snap)(SITE[:SITE.index("cameras:") + 13], snap.version)
        return snap

    monkeypatch.setattr(SiteFile, "read", half_then_done)
    snap = svc.snapshot()
    assert len(reads) == 2 and snap["version"] == version_of(full.encode())


def test_a_file_saved_in_another_encoding_is_named_not_a_crash(site: Path) -> None:
    svc = SiteService(site)
    site.write_bytes(SITE.replace("# a site", "# Zone für Pressen").encode("latin-1"))
    with pytest.raises(Unreadable, match=r"site\.yaml is not UTF-8 text \(line 1"):
        svc.snapshot()
    with pytest.raises(Unreadable):
        svc.save(version_of(site.read_bytes()), add_zone(ZONE))
