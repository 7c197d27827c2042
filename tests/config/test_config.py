"""Site-file validation: tables of good and bad files with the message an integrator sees."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from edge.cli import app
from edge.config import ConfigError, load_config, parse_config
from tests.cli_result import assert_clean_exit

MINIMAL: dict[str, Any] = {
    "site_id": "plant-7",
    "box_id": "edge-01",
    "detector": {"model": "/opt/models/yolox_nano.onnx"},
    "cameras": [{"id": "gate-north", "url": "rtsp://10.0.0.21:554/main", "analysis_fps": 5}],
    "zones": [
        {
            "id": "press-area",
            "camera": "gate-north",
            "kind": "danger_zone",
            "points": [[0.05, 0.40], [0.25, 0.40], [0.25, 0.90], [0.05, 0.90]],
        },
        {
            "id": "desk",
            "camera": "gate-north",
            "kind": "duty_post",
            "points": [[0.3, 0.55], [0.7, 0.55], [0.7, 1.0], [0.3, 1.0]],
            "absence_s": 300,
        },
        {"id": "door", "camera": "gate-north", "kind": "seal", "points": [[0.1, 0.5], [0.9, 0.5]]},
    ],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    """MINIMAL with the value at a dotted path (ints index lists) replaced; None deletes."""
    doc = copy.deepcopy(MINIMAL)
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node = doc
    for k in keys[:-1]:
        node = node[k]
    if value is None:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return doc


def _parse(doc: dict[str, Any]) -> Any:
    return parse_config(yaml.safe_dump(doc, sort_keys=False), source="site.yaml")


GOOD = [
    ("minimal", MINIMAL),
    ("no zones", _with("zones", [])),
    ("timezone", _with("timezone", "Asia/Shanghai")),
    ("schedule across midnight",
     _with("zones.0.schedule", [{"days": ["mon", "fri"], "start": "22:00", "end": "06:00"}])),
    ("overlap anchor", _with("zones.0.anchor", "overlap")),
    ("line with direction", _with("zones.2.direction", "in")),
    ("mqtt with tls", _with("mqtt", {"host": "b", "port": 8883, "tls": {"ca_file": "/ca.pem"}})),
    ("headcount", _with("zones.0", {**MINIMAL["zones"][0], "kind": "headcount", "max_persons": 3})),
]


@pytest.mark.parametrize(("name", "doc"), GOOD, ids=[g[0] for g in GOOD])
def test_good_files_validate(name: str, doc: dict[str, Any]) -> None:
    cfg = _parse(doc)
    assert cfg.site_id == "plant-7"
    for z in cfg.zones:
        spec = z.to_spec()
        assert spec.zone_id == z.id and spec.camera_id == "gate-north"


BAD = [
    ("unknown top-level key", _with("sitename", "x"), "sitename: unknown key 'sitename'"),
    ("missing site_id", _with("site_id", None), "site_id: required key is missing"),
    ("missing detector model", _with("detector", {}), "detector.model: required key is missing"),
    ("no cameras", _with("cameras", []), "cameras: List should have at least 1 item"),
    ("zone on unknown camera", _with("zones.1.camera", "gate-south"),
     "zones[1].camera: camera 'gate-south' is not defined"),
    ("polygon with two points", _with("zones.0.points", [[0.1, 0.1], [0.2, 0.2]]),
     "zones[0].points: a polygon needs at least 3 points, got 2"),
    ("self-intersecting polygon",
     _with("zones.0.points", [[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]]),
     "zones[0].points: polygon is not simple"),
    ("coordinates outside [0, 1]",
     _with("zones.0.points", [[0.1, 0.1], [1.5, 0.1], [0.5, 0.5]]),
     "zones[0].points: point 1 = [1.5, 0.1] is outside the image"),
    ("negative duration", _with("zones.1.absence_s", -5),
     "zones[1].absence_s: Input should be greater than or equal to 0"),
    ("line with three points", _with("zones.2.points", [[0, 0], [0.5, 0.5], [1, 1]]),
     "zones[2].points: a line needs exactly 2 points, got 3"),
    ("parameter of another kind", _with("zones.1.max_persons", 2),
     "zones[1].max_persons: unknown key 'max_persons'"),
    ("unknown kind", _with("zones.0.kind", "lava"), "zones[0].kind: unknown zone kind 'lava'"),
    ("duplicate zone id", _with("zones.1.id", "press-area"),
     "zones[1].id: 'press-area' is used twice"),
    ("bad timezone", _with("timezone", "Mars/Olympus"),
     "timezone: unknown time zone 'Mars/Olympus'"),
    ("password in the file", _with("mqtt", {"host": "b", "password": "hunter2"}),
     "mqtt.password: unknown key 'password': secrets are not written in the file"),
    ("bad schedule time", _with("zones.0.schedule", [{"start": "25:00", "end": "06:00"}]),
     "zones[0].schedule[0].start: expected a time of day as HH:MM"),
    ("analysis fps zero", _with("cameras.0.analysis_fps", 0),
     "cameras[0].analysis_fps: Input should be greater than 0"),
    ("bad camera id", _with("cameras.0.id", "gate north!"), "cameras[0].id: String should match"),
]


@pytest.mark.parametrize(("name", "doc", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_name_the_key_and_reason(name: str, doc: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        _parse(doc)
    rendered = info.value.render()
    # Exactly the one problem, on one line under the header, starting with its key path:
    # no validator dump, no second message about the same mistake.
    assert rendered.splitlines()[0] == "site.yaml: 1 problem(s)", rendered
    assert len(rendered.splitlines()) == 2 and rendered.splitlines()[1].startswith(
        f"  - {expected}"
    ), rendered


def test_error_carries_yaml_line_number() -> None:
    text = yaml.safe_dump(_with("zones.1.absence_s", -5), sort_keys=False)
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "absence_s" in t)
    assert f"(line {line})" in info.value.problems[0]


def test_not_yaml_and_not_a_mapping() -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_config("site_id: [unclosed")
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_config("- just\n- a list\n")


def test_env_expansion_and_missing_env(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _with("cameras.0.url", "rtsp://admin:${CAM_PASS}@10.0.0.21/main")
    monkeypatch.setenv("CAM_PASS", "s3cret")
    assert _parse(doc).cameras[0].url == "rtsp://admin:s3cret@10.0.0.21/main"
    monkeypatch.delenv("CAM_PASS")
    with pytest.raises(ConfigError, match=r"cameras\[0\]\.url: environment variable CAM_PASS"):
        _parse(doc)


def test_relative_paths_are_from_the_config_folder(tmp_path: Path) -> None:
    doc = _with("detector.model", "models/x.onnx")
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(doc))
    cfg = load_config(tmp_path / "site.yaml")
    assert cfg.detector.model == str(tmp_path / "models" / "x.onnx")
    assert cfg.cameras[0].url.startswith("rtsp://")


def test_missing_file() -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config("/nonexistent/site.yaml")


def test_mqtt_password_comes_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = _parse(_with("mqtt", {"host": "b", "password_env": "MY_PW"}))
    assert cfg.mqtt is not None
    monkeypatch.setenv("MY_PW", "pw")
    assert cfg.mqtt.password() == "pw"


def test_check_cli_good_and_bad(tmp_path: Path) -> None:
    runner = CliRunner()
    example = Path(__file__).resolve().parents[2] / "examples" / "site.yaml"
    ok = runner.invoke(app, ["check", str(example)])
    assert_clean_exit(ok, 0, "OK", "press-area (danger_zone)", stream="stdout")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_with("zones.0.points", [[0.1, 0.1], [0.2, 0.2]])))
    res = runner.invoke(app, ["check", str(bad)])
    assert_clean_exit(res, 1, f"{bad}: 1 problem(s)",
                      "zones[0].points: a polygon needs at least 3 points")
    assert res.stdout == ""


def test_schema_command_prints_json_schema() -> None:
    res = CliRunner().invoke(app, ["config", "schema"])
    assert_clean_exit(res, 0)
    schema = json.loads(res.output)
    assert "site_id" in schema["properties"] and "zones" in schema["properties"]


def test_absent_path_keys_keep_defaults_and_missing_messages(tmp_path: Path) -> None:
    doc = _with("storage", {"max_age_days": 3})
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(doc))
    cfg = load_config(tmp_path / "site.yaml")
    assert cfg.storage.max_age_days == 3 and cfg.storage.directory
    no_model = _with("detector", {"threads": 2})
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(no_model))
    with pytest.raises(ConfigError, match=r"detector\.model: required key is missing"):
        load_config(tmp_path / "site.yaml")


def test_readme_config_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.findall(r"```yaml\n(.*?)```", readme, re.S)[0]
    monkeypatch.setenv("CAM_PASS", "secret")
    cfg = parse_config(example, source="README.md")
    assert cfg.zones[0].kind == "danger_zone"


def test_old_mqtt_backoff_key_still_works_with_a_notice(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    text = MINIMAL_FOR_DEPRECATION + "mqtt:\n  host: b\n  reconnect_min_s: 0.3\n"
    with caplog.at_level(logging.WARNING, logger="edge.config.loader"):
        cfg = parse_config(text)
    assert cfg.mqtt is not None and cfg.mqtt.reconnect_initial_s == 0.3
    assert "reconnect_min_s is deprecated" in caplog.text
    assert "reconnect_initial_s" in caplog.text
    both = MINIMAL_FOR_DEPRECATION + (
        "mqtt:\n  host: b\n  reconnect_min_s: 0.3\n  reconnect_initial_s: 0.2\n")
    with pytest.raises(ConfigError, match="reconnect_initial_s only"):
        parse_config(both)


MINIMAL_FOR_DEPRECATION = """\
site_id: s
box_id: b
detector: {model: m.onnx}
cameras: [{id: c, url: v.mp4}]
"""
