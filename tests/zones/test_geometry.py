"""Vectorised geometry: anchors, boundaries, overlap, filters, exclusions."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point, Polygon, box

from tests.zones.helpers import CAM, SQUARE, area, person, run
from zones.engine import CameraRules
from zones.geometry import AreaGeometry, LineGeometry, frame_arrays
from zones.spec import ObjectFilter
from zones.types import Track


def inside_of(spec_kw: dict[str, object], tracks: list[Track]) -> list[bool]:
    geom = AreaGeometry([area(**spec_kw)])  # type: ignore[arg-type]
    fa = frame_arrays(tracks)
    return [bool(v) for v in geom.inside(fa.boxes_xyxy_norm, fa.scores)[0]]


@pytest.mark.parametrize(
    ("feet", "expected"),
    [
        ((0.4, 0.4), True),
        ((0.2, 0.4), True),  # on the left edge: boundary counts as inside
        ((0.6, 0.6), True),  # on a corner
        ((0.1999, 0.4), False),
        ((0.4, 0.6001), False),
    ],
)
def test_bottom_center_boundary(feet: tuple[float, float], expected: bool) -> None:
    assert inside_of({}, [person(1, *feet)]) == [expected]


def test_center_anchor_uses_box_centre() -> None:
    tall = person(1, 0.4, 0.75, h=0.4)  # feet outside (y .75), centre (0.4, 0.55) inside
    assert inside_of({}, [tall]) == [False]
    assert inside_of({"anchor": "center"}, [tall]) == [True]


@pytest.mark.parametrize(("min_overlap", "expected"), [(0.5, True), (0.6, False)])
def test_overlap_fraction(min_overlap: float, expected: bool) -> None:
    # Box x 0.5..0.7: half of it (0.5..0.6) is inside SQUARE.
    tr = Track(1, (0.5, 0.3, 0.7, 0.5), 0.9)
    assert inside_of({"anchor": "overlap", "min_overlap": min_overlap}, [tr]) == [expected]


def test_filters() -> None:
    f = ObjectFilter(min_score=0.5, min_height_frac=0.1, max_height_frac=0.3)
    tracks = [
        person(1, 0.4, 0.4, h=0.2, score=0.5),  # passes exactly at min_score
        person(2, 0.4, 0.4, h=0.2, score=0.49),
        person(3, 0.4, 0.4, h=0.05),
        person(4, 0.4, 0.4, h=0.35),
    ]
    assert inside_of({"filters": f}, tracks) == [True, False, False, False]


def test_vectorised_matches_scalar_shapely() -> None:
    rng = np.random.default_rng(7)
    specs = []
    for z in range(12):
        cx, cy = rng.uniform(0.2, 0.8, 2)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 6))
        r = rng.uniform(0.05, 0.2, 6)
        pts = tuple(
            (float(cx + r[i] * np.cos(a)), float(cy + r[i] * np.sin(a))) for i, a in enumerate(ang)
        )
        anchor = ("bottom_center", "center", "overlap")[z % 3]
        specs.append(area(zone_id=f"z{z}", points_norm=pts, anchor=anchor, min_overlap=0.3))
    tracks = []
    for i in range(60):
        x1, y1 = rng.uniform(0, 0.9, 2)
        w, h = rng.uniform(0.01, 0.1), rng.uniform(0.02, 0.3)
        tracks.append(Track(i, (float(x1), float(y1), float(x1 + w), float(y1 + h)), 0.9))
    fa = frame_arrays(tracks)
    got = AreaGeometry(specs).inside(fa.boxes_xyxy_norm, fa.scores)
    for z, s in enumerate(specs):
        poly = Polygon(s.points_norm)
        for i, tr in enumerate(tracks):
            x1, y1, x2, y2 = tr.box_xyxy_norm
            if s.anchor == "overlap":
                want = poly.intersection(box(x1, y1, x2, y2)).area / ((x2 - x1) * (y2 - y1)) >= 0.3
            else:
                y = y2 if s.anchor == "bottom_center" else (y1 + y2) / 2
                want = poly.intersects(Point((x1 + x2) / 2, y))
            assert bool(got[z, i]) == want, (s.zone_id, i)


def test_exclusion_mask_hides_mannequin() -> None:
    mannequin = person(9, 0.3, 0.5, h=0.2)  # box centre (0.3, 0.4)
    mask = [((0.25, 0.3), (0.35, 0.3), (0.35, 0.45), (0.25, 0.45))]
    frames = [(t * 0.25, [mannequin]) for t in range(40)]
    _, ups = run(CameraRules(CAM, [area()], exclusions_norm=mask), frames)
    assert ups == []
    _, ups = run(CameraRules(CAM, [area()]), frames)
    assert [u.phase for u in ups] == ["started"]


def test_bad_tracks_are_dropped() -> None:
    fa = frame_arrays(
        [
            Track(1, (0.1, 0.1, 0.2, 0.3), 0.9),
            Track(2, (float("nan"), 0.1, 0.2, 0.3), 0.9),
            Track(3, (0.3, 0.1, 0.2, 0.3), 0.9),  # x2 < x1
            Track(1, (0.5, 0.1, 0.6, 0.3), 0.9),  # repeated id: first one wins
        ]
    )
    assert fa.ids.tolist() == [1]


def test_line_side_sign_and_crossing_point() -> None:
    geom = LineGeometry([area(kind="line", points_norm=((0.2, 0.5), (0.8, 0.5)))])
    d = geom.signed_distance(np.array([[0.5, 0.5]]), np.array([[0.3, 0.7]]))
    assert d[0, 0] < 0 < d[0, 1]  # above (left of p0->p1 on screen) negative, below positive
    assert geom.crossing_param(0, (0.35, 0.3), (0.35, 0.7)) == pytest.approx(0.25)


def test_helpers_default_area_is_square() -> None:
    """The boundary cases above are written against SQUARE: area() must really use it."""
    assert area().points_norm == SQUARE
    geom = AreaGeometry([area()])
    fa = frame_arrays([person(1, 0.2, 0.2), person(2, 0.6, 0.6), person(3, 0.61, 0.6)])
    assert geom.inside(fa.boxes_xyxy_norm, fa.scores)[0].tolist() == [True, True, False]


def test_exact_overlap_area_matches_shapely() -> None:
    """Random simple polygons (both orientations, one concave) against random boxes, a third
    of them snapped so that box sides lie exactly on polygon edges and vertices."""
    import shapely

    from zones.overlap import PolygonEdges

    rng = np.random.default_rng(3)
    polys: list[list[tuple[float, float]]] = []
    for z in range(20):
        cx, cy = rng.uniform(0.2, 0.8, 2)
        n = int(rng.integers(3, 9))
        ang = np.sort(rng.uniform(0, 2 * np.pi, n))
        r = rng.uniform(0.05, 0.3, n)
        pts = [
            (float(cx + r[i] * np.cos(a)), float(cy + r[i] * np.sin(a))) for i, a in enumerate(ang)
        ]
        polys.append(pts if z % 2 else pts[::-1])
    polys.append([(0.2, 0.2), (0.6, 0.2), (0.6, 0.6), (0.2, 0.6)])
    polys.append([(0.2, 0.2), (0.6, 0.2), (0.6, 0.4), (0.4, 0.4), (0.4, 0.6), (0.2, 0.6)])
    n = 5000
    idx = rng.integers(0, len(polys), n)
    xy = rng.uniform(0, 0.9, (n, 2))
    wh = rng.uniform(0.01, 0.4, (n, 2))
    snap = rng.uniform(size=n) < 0.3
    xy[snap] = np.round(xy[snap] * 5) / 5
    wh[snap] = 0.2
    boxes = np.concatenate([xy, xy + wh], axis=1)
    got = PolygonEdges(polys).intersection_area(idx, boxes)
    shapes = np.array([Polygon(p) for p in polys])
    rects = shapely.box(boxes[:, 0], boxes[:, 1], boxes[:, 2], boxes[:, 3])
    want = shapely.area(shapely.intersection(shapes[idx], rects))
    assert np.abs(got - want).max() < 1e-12
