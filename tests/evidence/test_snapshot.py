"""Snapshots of real video open and show what the rule saw (checked pixel by pixel)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.evidence.snapshot import ZONE_COLOURS_BGR, anchor_px, zone_points_px

from .replaykit import PERSON, ZONE, recorder, replay, update

pytestmark = pytest.mark.assets


def _edge_samples(pts: np.ndarray, per_edge: int = 25) -> list[tuple[int, int]]:
    out = []
    for a, b in zip(pts, np.roll(pts, -1, axis=0), strict=True):
        for f in np.linspace(0.05, 0.95, per_edge):
            p = a + (b - a) * f
            out.append((round(p[0]), round(p[1])))
    return out


def _is_colour(px: np.ndarray, bgr: tuple[int, int, int], tol: int = 70) -> bool:
    return bool(np.all(np.abs(px.astype(int) - np.array(bgr)) <= tol))


@pytest.fixture(scope="module")
def snapshot_files(vtest: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("snap")
    rec = recorder(tmp)
    script = {10.0: [update("snap", "started", 10.0, 10.0)],
              11.0: [update("snap", "ended", 11.0, 10.0, 10.5)]}
    ready = replay(vtest, rec, script, until_s=25.0).ready
    assert len(ready) == 1
    return ready[0].evidence["snapshot"]


def test_snapshot_shows_zone_outline_in_rule_colour(snapshot_files: dict[str, object]) -> None:
    img = cv2.imread(str(snapshot_files["path"]))
    raw = cv2.imread(str(snapshot_files["raw"]["path"]))  # type: ignore[index]
    assert img is not None and raw is not None
    h, w = img.shape[:2]
    assert (w, h) == (snapshot_files["width"], snapshot_files["height"]) == (480, 360)
    red = ZONE_COLOURS_BGR["danger_zone"]
    samples = _edge_samples(zone_points_px(ZONE, w, h))
    on_annotated = sum(_is_colour(img[y, x], red) for x, y in samples)
    on_raw = sum(_is_colour(raw[y, x], red) for x, y in samples)
    assert on_annotated >= 0.95 * len(samples)
    assert on_raw <= 0.05 * len(samples), "the raw copy is the untouched frame"


def test_snapshot_shows_person_box_anchor_and_label(snapshot_files: dict[str, object]) -> None:
    img = cv2.imread(str(snapshot_files["path"]))
    h, w = img.shape[:2]
    ax, ay = anchor_px(PERSON, ZONE.anchor, w, h)
    assert _is_colour(img[ay, ax], (0, 255, 255)), "anchor point (bottom centre) is drawn"
    x1 = round(PERSON.box_xyxy_norm[0] * (w - 1))
    ymid = round((PERSON.box_xyxy_norm[1] + PERSON.box_xyxy_norm[3]) / 2 * (h - 1))
    assert _is_colour(img[ymid, x1], (0, 255, 0)), "person box edge is drawn"
    banner = img[2:18, 10:200].astype(int)
    white = (banner.min(axis=2) > 200).sum()
    dark = (banner.max(axis=2) < 60).sum()
    assert dark > banner.shape[0] * banner.shape[1] * 0.5 and white > 30, "label banner with text"


def test_snapshot_of_a_line_rule_draws_the_line(vtest: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    from edge.evidence.snapshot import annotate

    line = replace(ZONE, kind="line", points_norm=((0.2, 0.5), (0.8, 0.5)))
    frame = np.full((360, 480, 3), 90, np.uint8)
    upd = replace(update("l", "started", 1.0, 1.0), kind="line")
    from .replaykit import T0_WALL

    img = annotate(frame, line, upd, T0_WALL)
    y = round(0.5 * 359)
    xs = range(int(0.25 * 479), int(0.75 * 479), 7)
    colour = ZONE_COLOURS_BGR["line"]
    assert all(_is_colour(img[y, x], colour, tol=5) for x in xs if not 0.29 * 479 < x < 0.41 * 479)
    assert np.array_equal(frame, np.full((360, 480, 3), 90, np.uint8)), "input left alone"
