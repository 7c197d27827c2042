"""The editor's API against a running box: roles, validation with key paths, saving with the
file's comments kept, hot reload that raises violations, version conflicts, calibration,
preview sources, the live stream."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import yaml

from edge.web.sitefile import version_of
from tests.editor.boxkit import TABLE, Box, wait_until
from tests.editor.floor import CAMERA, CLICKED_M, image_point

pytestmark = [pytest.mark.assets, pytest.mark.slow]


def site(box: Box, user: str = "ina") -> dict[str, Any]:
    with box.client(user) as c:
        data: dict[str, Any] = c.get("/api/site").json()
        return data


def test_roles_viewer_reads_frames_but_changes_nothing(box: Box) -> None:
    with box.client("vic") as c:
        assert c.get("/cameras/desk/zones", headers={"accept": "text/html"}).status_code == 403
        assert c.get("/api/site").status_code == 403
        version = site(box)["version"]
        r = c.put("/api/cameras/desk/zones", json={"version": version, "zones": []})
        assert r.status_code == 403
        assert c.post("/api/cameras/desk/preview", json={"zones": []}).status_code == 403
        frame = c.get("/api/cameras/desk/frame.jpg")
        assert frame.status_code == 200 and frame.content[:2] == b"\xff\xd8"
        assert frame.headers["x-stream-resolution"] == "768x432"
        assert c.get("/api/cameras/nope/frame.jpg").status_code == 404
    with box.client("ina") as c:
        assert c.get("/cameras/desk/zones").status_code == 200
        c.cookies.clear()
        assert c.get("/api/site").status_code == 401


def test_saved_zone_is_in_the_file_with_comments_and_raises_violations(box: Box) -> None:
    before = box.site_path.read_text()
    data = site(box)
    corner = next(z for z in data["site"]["zones"] if z["id"] == "corner")
    keepout = {"id": "keepout", "kind": "danger_zone", "points": TABLE, "min_duration_s": 1}
    with box.client("ina") as c:
        r = c.put("/api/cameras/desk/zones", json={
            "version": data["version"], "zones": [corner, keepout],
            "previous_ids": ["corner", None]})
        assert r.status_code == 200, r.text
        assert r.json()["reloaded"] is True
        history = c.get("/api/site/history").json()
    text = box.site_path.read_text()
    assert text.startswith("# Zone editor test site: comments, key order and formatting")
    assert "  # A corner nobody walks into; the editor must leave it as it is.\n" in text
    assert "    label: ${CORNER_LABEL}\n" in text  # not expanded
    assert "points: [[0.0, 0.0], [0.1, 0.0], [0.1, 0.1]]   # top left" in text
    assert list(yaml.safe_load(text)) == list(yaml.safe_load(before))  # key order
    assert (box.site_path.parent / "site.yaml.1").read_text() == before
    assert history[0]["actor"] == "ina" and "+  - id: keepout" in history[0]["diff"]
    # the running box counts the new zone: someone stands at the table within a loop
    wait_until(lambda: box.events("keepout", "started"), 60, "a violation of the new zone")


def test_invalid_zone_is_refused_with_its_path_and_nothing_is_saved(box: Box) -> None:
    data = site(box)
    before = box.site_path.read_bytes()
    bowtie = {"id": "bowtie", "camera": "floor", "kind": "danger_zone",
              "points": [[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]]}
    metric = {"id": "metric", "camera": "desk", "kind": "danger_zone", "buffer_m": 1,
              "points": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]}
    with box.client("ina") as c:
        for zone, field in ((bowtie, ["points"]), (metric, ["buffer_m"])):
            r = c.post("/api/zones", json={"version": data["version"], "zone": zone})
            assert r.status_code == 422, r.text
            [p] = r.json()["detail"]
            assert p["zone_id"] == zone["id"] and p["field"] == field and p["path"].startswith(
                "zones[")
        dup = dict(bowtie, id="corner", points=[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]])
        r = c.post("/api/zones", json={"version": data["version"], "zone": dup})
        assert r.status_code == 422 and "used twice" in r.json()["detail"][0]["msg"]
        r = c.put("/api/cameras/floor/zones", json={"version": data["version"], "zones": [
            {"id": "two", "kind": "danger_zone", "points": [[0.1, 0.1], [0.2, 0.2]]}]})
        assert r.status_code == 422 and "at least 3 points" in r.json()["detail"][0]["msg"]
    assert box.site_path.read_bytes() == before


def test_a_hand_edit_meanwhile_gives_409_and_is_kept(box: Box) -> None:
    data = site(box)
    hand = box.site_path.read_text() + "# edited by hand\n"
    box.site_path.write_text(hand)
    zone = {"id": "late", "camera": "floor", "kind": "danger_zone",
            "points": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]}
    with box.client("ina") as c:
        r = c.post("/api/zones", json={"version": data["version"], "zone": zone})
        assert r.status_code == 409 and r.json()["code"] == "version_conflict"
        r = c.delete("/api/zones/corner", params={"version": data["version"]})
        assert r.status_code == 409
    assert box.site_path.read_text() == hand


def test_a_file_broken_by_hand_is_reported_not_edited(box: Box) -> None:
    good = box.site_path.read_text()
    version = site(box)["version"]
    broken = good.replace("cameras:", "cameras: [", 1)
    try:
        box.site_path.write_text(broken)
        with box.client("ina") as c:
            r = c.get("/api/site")
            assert r.status_code == 409, r.text
            assert "cannot be read as YAML" in r.json()["detail"]
            assert box.site_path.name + ", line" in r.json()["detail"]
            assert c.get("/api/cameras/floor/preview/sources").status_code == 409
            zone = {"id": "late", "camera": "floor", "kind": "danger_zone",
                    "points": [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]}
            # even against the broken file's own version: nothing is written over it
            r = c.post("/api/zones", json={"version": version_of(broken.encode()),
                                           "zone": zone})
            assert r.status_code == 409 and r.json()["code"] == "site_file_unreadable", r.text
        assert box.site_path.read_text() == broken
        # YAML again, but a site the box would refuse: the routes that load it say why
        box.site_path.write_text(good.replace("kind: danger_zone", "kind: no_such_kind", 1))
        with box.client("ina") as c:
            r = c.get("/api/cameras/floor/preview/sources")
            assert r.status_code == 422 and "no_such_kind" in r.text, r.text
    finally:
        box.site_path.write_text(good)
    assert site(box)["version"] == version


def test_the_editor_cannot_read_environment_variables(box: Box) -> None:
    """The loader expands ${VAR} in every string and validation quotes values: a draft that
    names a variable is refused before it is expanded, so its value never comes back."""
    zone = {"id": "probe", "camera": "desk", "kind": "${CORNER_LABEL}",
            "points": [[0.5, 0.5], [0.6, 0.5], [0.6, 0.6]]}
    with box.client("ina") as c:
        r = c.post("/api/cameras/desk/zones/check", json={"zones": [zone]})
        assert r.status_code == 200 and "Corner" not in r.text, r.text
        assert "environment variables" in json.dumps(r.json()["problems"])
        data = site(box)
        r = c.post("/api/zones", json={"version": data["version"],
                                       "zone": dict(zone, kind="danger_zone",
                                                    label="${CORNER_LABEL}")})
        assert r.status_code == 422 and "Corner" not in r.text, r.text
        # a value the file already has where it is (written by hand) stays as it is
        corner = next(z for z in data["site"]["zones"] if z["id"] == "corner")
        r = c.put("/api/zones/corner", json={"version": data["version"],
                                              "zone": dict(corner, points=[[0.0, 0.0],
                                                                           [0.12, 0.0],
                                                                           [0.12, 0.1]])})
        assert r.status_code == 200, r.text
    assert "    label: ${CORNER_LABEL}\n" in box.site_path.read_text()


def test_zone_crud_through_the_api(box: Box) -> None:
    zone = {"id": "crud", "camera": "floor", "kind": "line", "direction": "in",
            "points": [[0.2, 0.6], [0.8, 0.6]]}
    with box.client("adm") as c:
        v = c.get("/api/site").json()["version"]
        r = c.post("/api/zones", json={"version": v, "zone": zone})
        assert r.status_code == 200, r.text
        renamed = dict(zone, id="crud-2", direction="out")
        r = c.put("/api/zones/crud", json={"version": r.json()["version"], "zone": renamed})
        assert r.status_code == 200, r.text
        zones = {z["id"]: z for z in c.get("/api/site").json()["site"]["zones"]}
        assert "crud" not in zones and zones["crud-2"]["direction"] == "out"
        v = r.json()["version"]
        assert c.delete("/api/zones/nope", params={"version": v}).status_code == 404
        r = c.delete("/api/zones/crud-2", params={"version": v})
        assert r.status_code == 200
        assert "crud-2" not in box.site_path.read_text()


def test_calibration_from_a_synthetic_camera(box: Box) -> None:
    image = [image_point(g) for g in CLICKED_M]
    with box.client("ina") as c:
        line = {"image_points_norm": [[0.1 * i, 0.6] for i in range(1, 6)],
                "ground_points_m": [[i, 0] for i in range(5)]}
        r = c.post("/api/cameras/floor/calibration/fit", json=line)
        assert r.status_code == 422 and r.json()["code"] == "collinear"
        body = {"image_points_norm": image, "ground_points_m": CLICKED_M}
        r = c.post("/api/cameras/floor/calibration/fit", json=body)
        assert r.status_code == 200, r.text
        fit = r.json()
        assert max(fit["residuals_m"]) < 0.05 and all(fit["inliers"])
        assert fit["resolution_wh"] == list(CAMERA.resolution_wh)  # from the stream
        assert len(fit["grid"]) > 10
        assert abs(fit["camera_height_m"] - CAMERA.height_m) < 0.05
        # a wrong click (or a mistyped metre) stands out: dropped, with its large residual
        wrong = {"image_points_norm": [*image, list(image_point((0.0, 0.0)))],
                 "ground_points_m": [*CLICKED_M, [1.0, 0.0]]}
        r = c.post("/api/cameras/floor/calibration/fit", json=wrong).json()
        assert r["outliers"] == [len(CLICKED_M)] and r["residuals_m"][-1] > 0.9
        assert max(r["residuals_m"][:-1]) < 0.05
        rect = {"image_points_norm": [image_point(g) for g in
                                      [(-2, -1), (2, -1), (2, 2), (-2, 2)]],
                "width_m": 4, "depth_m": 3}
        r = c.post("/api/cameras/floor/calibration/fit", json=rect)
        assert r.status_code == 200 and r.json()["pairs"][2]["ground_m"] == [4.0, 3.0]
        v = c.get("/api/site").json()["version"]
        r = c.put("/api/cameras/floor/calibration", json={**body, "version": v,
                                                           "person_height_m": [1.2, 2.2]})
        assert r.status_code == 200, r.text
        cal = yaml.safe_load(box.site_path.read_text())["cameras"][1]["calibration"]
        assert cal["person_height_m"] == [1.2, 2.2] and len(cal["pairs"]) == len(CLICKED_M)
        grown = {"id": "grown", "kind": "danger_zone", "buffer_m": 1.0,
                 "points": [list(image_point(g)) for g in [(-1, 1), (1, 1), (1, 2), (-1, 2)]]}
        r = c.post("/api/cameras/floor/zones/check", json={"zones": [grown]})
        outline = np.array(r.json()["outlines"]["grown"])
        assert r.json()["problems"] == [] and len(outline) > 8
        floor = CAMERA.backproject(outline)  # the grown outline is 1 m out on the floor
        assert floor[:, 0].min() == pytest.approx(-2.0, abs=0.05)


def test_preview_reads_only_the_cameras_footage(box: Box) -> None:
    zone = {"id": "p", "kind": "duty_post", "points": TABLE, "absence_s": 4.5, "return_s": 2}
    with box.client("ina") as c:
        sources = c.get("/api/cameras/desk/preview/sources").json()
        assert sources[0]["source"] == "recent" and sources[1]["kind"] == "camera_file"
        for path in ("/etc/passwd", "../site.yaml", str(box.site_path)):
            r = c.post("/api/cameras/desk/preview", json={"zones": [zone], "source": path})
            assert r.status_code == 422 and r.json()["code"] == "source", path
        bad = dict(zone, points=[[0.1, 0.1], [0.2, 0.2]])
        r = c.post("/api/cameras/desk/preview", json={"zones": [bad], "source": "recent"})
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == ["points"]
        # the evidence ring's packets: ~pre_s + lookback_s of the camera, analysed as replay
        r = c.post("/api/cameras/desk/preview", json={"zones": [zone], "source": "recent"})
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["source"] == "recent" and 5 < out["duration_s"] < 20 and out["note"]
        assert out["frames_analysed"] > 20
        for v in out["violations"]:
            snap = c.get(v["snapshot_url"])
            assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"


def test_live_stream_has_tracks_and_zone_membership(box: Box) -> None:
    with box.client("ina") as c, c.stream("GET", "/api/cameras/desk/live") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        frames: list[dict[str, Any]] = []
        for line in r.iter_lines():
            if line.startswith("data: "):
                frames.append(json.loads(line[6:]))
            if len(frames) >= 8:
                break
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(seqs) and set(frames[0]["zones"]) >= {"corner"}
    for f in frames:
        for t in f["tracks"]:
            assert t["feet"] == [round((t["box"][0] + t["box"][2]) / 2, 4), t["box"][3]]
            assert set(t) == {"id", "box", "feet", "center", "score"}
        counted = {i for ids in f["zones"].values() for i in ids}
        assert counted <= {t["id"] for t in f["tracks"]}
