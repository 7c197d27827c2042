"""The timelines drawn in docs/rules.md, replayed: the pictures must stay true."""

from __future__ import annotations

from tests.zones.helpers import CAM, IN, area, line, person, run
from zones.engine import CameraRules


def replay(pattern: str, dt: float, rules: CameraRules) -> list[tuple[str, float, str]]:
    frames = [(i * dt, [person(1, *IN)] if c == "#" else []) for i, c in enumerate(pattern)]
    _, ups = run(rules, frames)
    return [(u.phase, round(u.t_s, 6), u.reason) for u in ups]


def test_danger_zone_picture() -> None:
    pattern = ".....#####.####.##.#######......................#..........."
    rules = CameraRules(CAM, [area("danger_zone", min_duration_s=1, clear_s=3, flicker_s=1)])
    assert replay(pattern, 0.2, rules) == [
        ("started", 2.2, "over_limit"),
        ("ended", 8.0, "cleared"),
    ]


def test_duty_post_picture() -> None:
    pattern = "#.#..##.#.###..#.##.................................#.#.#.######....."
    rules = CameraRules(CAM, [area("duty_post", absence_s=10, return_s=5, flicker_s=2)])
    assert replay(pattern, 1.0, rules) == [
        ("started", 28.0, "absent"),
        ("ended", 58.0, "returned"),
    ]


def test_line_picture() -> None:
    rules = CameraRules(CAM, [line(direction="in", points_norm=((0.2, 0.5), (0.8, 0.5)))])
    frames = [(float(i), [person(1, 0.5, y)]) for i, y in enumerate([0.30, 0.45, 0.50, 0.52, 0.60])]
    _, ups = run(rules, frames)
    assert [(u.phase, u.t_s, dict(u.extra)["crossings"]) for u in ups] == [
        ("started", 3.0, ((1, "in"),)),
        ("ended", 3.0, ((1, "in"),)),
    ]
