"""The YAML keys reach the rules engine; zones/ stays pure (no I/O packages, no clock)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from edge.config import parse_config
from edge.config.loader import ConfigError
from zones.engine import CameraRules

SITE = """
site_id: plant-7
box_id: edge-01
timezone: Asia/Shanghai
detector: {model: /opt/m.onnx}
cameras:
  - id: gate-north
    url: rtsp://10.0.0.21:554/main
    exclusions:
      - points: [[0.8, 0.1], [0.95, 0.1], [0.95, 0.45]]
zones:
  - id: control-desk
    camera: gate-north
    kind: duty_post
    points: [[0.30, 0.55], [0.70, 0.55], [0.70, 1.0], [0.30, 1.0]]
    absence_s: 300
    return_s: 5
  - id: press-area
    camera: gate-north
    kind: danger_zone
    points: [[0.05, 0.40], [0.25, 0.40], [0.25, 0.90], [0.05, 0.90]]
    flicker_s: 0.5
    schedule:
      - {days: [mon, tue, wed, thu, fri], start: "22:00", end: "06:00"}
  - id: shaft-seal
    camera: gate-north
    kind: seal
    points: [[0.35, 0.70], [0.65, 0.70]]
    direction: in
    line_margin: 0.02
    reid_window_s: 3
    reid_radius: 0.04
"""


def test_yaml_keys_reach_the_specs() -> None:
    cfg = parse_config(SITE)
    specs = {z.id: z.to_spec() for z in cfg.zones}
    assert specs["control-desk"].flicker_s == 2.0  # the duty-post default
    assert specs["press-area"].flicker_s == 0.5
    assert specs["press-area"].schedule[0].start_min == 22 * 60
    seal = specs["shaft-seal"]
    assert (seal.direction, seal.line_margin, seal.reid_window_s, seal.reid_radius) == (
        "in",
        0.02,
        3.0,
        0.04,
    )
    masks = [list(m.points) for m in cfg.camera("gate-north").exclusions]
    rules = CameraRules("gate-north", list(specs.values()), masks, cfg.timezone or "UTC")
    assert set(rules.initial_state().zones) == set(specs)


def test_bad_line_margin_is_rejected_with_its_path() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(SITE.replace("line_margin: 0.02", "line_margin: -1"))
    assert "line_margin" in str(err.value)


FORBIDDEN = {
    "edge",
    "models",
    "publisher",
    "calibration",
    "cv2",
    "time",
    "threading",
    "os",
    "socket",
    "subprocess",
    "asyncio",
    "logging",
    "random",
    "pathlib",
}


def test_zones_package_is_pure() -> None:
    root = Path(__file__).resolve().parents[2] / "zones"
    for path in sorted(root.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"open", "print"}, f"{path.name} calls {node.func.id}"


def test_every_zone_kind_has_a_config_model_an_alarm_type_and_a_colour() -> None:
    """Zone kinds are listed once (zones.spec.ZONE_KINDS); what is keyed by kind covers it."""
    import typing

    from edge.config.zone import ZoneConfig
    from edge.evidence.snapshot import ZONE_COLOURS_BGR
    from zones.alarm_types import ALARM_TYPES
    from zones.spec import AREA_KINDS, LINE_KINDS, ZONE_KINDS

    union = typing.get_args(typing.get_args(ZoneConfig)[0])
    config_kinds = {typing.get_args(m.model_fields["kind"].annotation)[0] for m in union}
    assert config_kinds == set(ZONE_KINDS)
    assert set(ALARM_TYPES) == set(ZONE_KINDS)
    assert set(ZONE_COLOURS_BGR) == set(ZONE_KINDS)
    assert set(ZONE_KINDS) == AREA_KINDS | LINE_KINDS
    assert not AREA_KINDS & LINE_KINDS
