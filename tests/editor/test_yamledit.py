"""Edits of the site file's text: everything not edited stays byte for byte (comments, key
order, flow lists, `${ENV}` references), and what is written reads back as written."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from edge.config import parse_config
from edge.web.service import add_zone, delete_zone, replace_zone, set_camera_key, set_camera_zones
from edge.web.yamledit import SiteText, YamlEditError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"
NEW = {"id": "n", "camera": "desk", "kind": "danger_zone",
       "points": [[0.1, 0.2], [0.3, 0.2], [0.30000000001, 0.5]]}


def changed_lines(a: str, b: str) -> list[str]:
    return [ln[0] + ln[2:] for ln in difflib.ndiff(a.splitlines(), b.splitlines())
            if ln[:1] in "+-"]


@pytest.fixture
def doc() -> SiteText:
    return SiteText(EXAMPLE.read_text(encoding="utf-8"))


def test_a_changed_value_changes_only_its_line(doc: SiteText) -> None:
    z = doc.data()["zones"][1]
    z["points"][0] = [0.4, 0.7]
    out = replace_zone("press-area", z)(doc)
    assert changed_lines(doc.text, out.text) == [
        "-    points: [[0.45, 0.78], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]",
        "+    points: [[0.4, 0.7], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]"]


def test_keys_removed_added_and_nested_values(doc: SiteText) -> None:
    z = doc.data()["zones"][1]
    del z["max_persons"]
    z["schedule"] = [{"days": ["mon", "tue"], "start": "08:00", "end": "18:00"}]
    out = replace_zone("press-area", z)(doc)
    assert "    max_persons: 0\n" not in out.text
    assert "    schedule:\n      - days: [mon, tue]\n" in out.text
    # 18:00 written plain would be the number 1080 to the loader (YAML 1.1): quoted
    loaded = parse_config(out.text, base_dir=EXAMPLE.parent).zones[1]
    assert [(w.start, w.end) for w in loaded.schedule] == [("08:00", "18:00")]  # type: ignore[union-attr]
    # every comment of the file is still there
    comments = [ln.strip() for ln in doc.text.splitlines() if ln.strip().startswith("#")]
    assert all(c in out.text for c in comments)


def test_delete_takes_the_items_own_comment_and_leaves_the_next(doc: SiteText) -> None:
    out = delete_zone("table-post")(doc)
    assert "离岗" not in out.text  # the deleted zone's description went with it
    assert "# Nobody may stand in front of the press" in out.text
    last = delete_zone("lawn")(doc)
    assert "# The lawn is out of bounds" not in last.text
    assert "# Uncomment with a broker" in last.text  # it introduces mqtt, not the lawn
    assert [z.id for z in parse_config(last.text, base_dir=EXAMPLE.parent).zones] == [
        "table-post", "press-area"]


def test_added_zone_goes_after_its_cameras_zones_rounded(doc: SiteText) -> None:
    out = add_zone(NEW)(doc)
    ids = [z["id"] for z in yaml.safe_load(out.text)["zones"]]
    assert ids == ["table-post", "press-area", "n", "lawn"]
    assert "    points: [[0.1, 0.2], [0.3, 0.2], [0.3, 0.5]]\n" in out.text
    assert len(changed_lines(doc.text, out.text)) == 4


def test_camera_keys_keep_the_cameras_comments(doc: SiteText) -> None:
    mask = [{"points": [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]]}]
    out = set_camera_key("desk", "exclusions", mask)(doc)
    assert "#   url: rtsp://admin:${CAM_PASS}@10.0.0.21:554/main" in out.text
    assert "    exclusions:\n      - points: [[0.1, 0.1], [0.2, 0.1], [0.2, 0.2]]\n" in out.text
    back = set_camera_key("desk", "exclusions", [])(out)
    assert back.text == doc.text


def test_set_camera_zones_renames_in_place_and_deletes(doc: SiteText) -> None:
    zones = [dict(doc.data()["zones"][0], id="post-2")]
    out = set_camera_zones("desk", zones, ["table-post"])(doc)
    data = yaml.safe_load(out.text)
    assert [z["id"] for z in data["zones"]] == ["post-2", "lawn"]
    assert "离岗" in out.text  # renamed in place: its comment stays


def test_env_references_stay_unexpanded() -> None:
    text = "site_id: s\nzones:\n  - id: a\n    label: ${LABEL}   # from the environment\n" \
           "    camera: c\n"
    doc = SiteText(text)
    z = doc.data()["zones"][0]
    z["camera"] = "d"
    out = replace_zone("a", z)(doc)
    assert "    label: ${LABEL}   # from the environment\n" in out.text


def test_missing_empty_and_flow_lists_are_written_as_blocks() -> None:
    base = "site_id: s\nstorage: {directory: x}\n"
    out = add_zone(NEW)(SiteText(base))
    assert yaml.safe_load(out.text)["zones"][0]["id"] == "n"
    for value in ("[]", "[{id: a, camera: desk, kind: line, points: [[0, 0], [1, 1]]}]"):
        text = f"site_id: s\nzones: {value}\n# about storage\nstorage: {{directory: x}}\n"
        out = add_zone(NEW)(SiteText(text))
        assert out.text.endswith("# about storage\nstorage: {directory: x}\n")
        assert yaml.safe_load(out.text)["zones"][-1]["points"][2] == [0.3, 0.5]
    one = SiteText("zones:\n  - id: a\n    camera: c\n# tail\n")
    assert delete_zone("a")(one).text == "zones: []\n# tail\n"


def test_strings_that_would_read_back_otherwise_are_quoted(doc: SiteText) -> None:
    z = doc.data()["zones"][1]
    z["label"] = "yes"
    out = replace_zone("press-area", z)(doc)
    assert yaml.safe_load(out.text)["zones"][1]["label"] == "yes"


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(YamlEditError):
        SiteText("- a\n- b\n")
