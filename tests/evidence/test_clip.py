"""Clips cut from compressed packets of real video: windows, caps, order of completion."""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path
from typing import Any

import av
import pytest

from edge.evidence import EvidenceReady

from .replaykit import all_refs, decoded_times, keyframe_times, recorder, replay, update

pytestmark = pytest.mark.assets


def _gop_s(video: Path) -> float:
    kf = keyframe_times(video)
    return max(b - a for a, b in itertools.pairwise(kf))


def _check_clip(clip: dict[str, object], video: Path, start_s: float, end_s: float) -> None:
    gop = _gop_s(video)
    kf = keyframe_times(video)
    first = float(clip["start_source_s"])  # type: ignore[arg-type]
    assert start_s - gop - 1e-6 <= first <= start_s + 1e-6
    assert any(abs(first - k) < 1e-3 for k in kf), "a clip starts on a keyframe"
    times = decoded_times(str(clip["path"]))
    assert times[0] == pytest.approx(0.0, abs=1e-6)
    steps = [b - a for a, b in itertools.pairwise(times)]
    assert min(steps) > 0 and max(steps) < 0.11, "10 fps, no holes, no duplicates"
    last_s = first + times[-1] + 0.1
    assert end_s - 1e-6 <= last_s <= end_s + gop + 1e-6
    assert float(clip["duration_s"]) == pytest.approx(last_s - first, abs=0.11)  # type: ignore[arg-type]


@pytest.mark.parametrize("which", ["vtest", "people"])
def test_clip_covers_pre_and_post_roll_within_one_gop(
    tmp_path: Path, which: str, request: pytest.FixtureRequest
) -> None:
    video: Path = request.getfixturevalue(which)
    rec = recorder(tmp_path, pre_s=5.0, post_s=5.0)
    # started at 29 s (reported 1 s later), ended at 40 s (reported after 3 s clear)
    script = {30.0: [update("v1", "started", 30.0, 29.0)],
              43.0: [update("v1", "ended", 43.0, 29.0, 40.0)]}
    result = replay(video, rec, script, until_s=70.0)
    assert [r.violation_id for r in result.ready] == ["v1"]
    clip = result.ready[0].evidence["clip"]
    assert clip["requested_start_source_s"] == pytest.approx(24.0)
    assert clip["requested_end_source_s"] == pytest.approx(45.0)
    _check_clip(clip, video, 24.0, 45.0)
    with av.open(clip["path"]) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        with av.open(str(video)) as src:
            assert (s.codec_context.width, s.codec_context.height) == (
                src.streams.video[0].codec_context.width, src.streams.video[0].codec_context.height)


def test_long_violation_is_capped_keeping_the_start(people: Path, tmp_path: Path) -> None:
    rec = recorder(tmp_path, pre_s=2.0, post_s=5.0, max_clip_s=12.0)
    script = {20.0: [update("long", "started", 20.0, 20.0)],
              60.0: [update("long", "ended", 60.0, 20.0, 58.0)]}
    result = replay(people, rec, script, until_s=70.0)
    (t_emit, items), = result.emitted_at
    assert t_emit < 60.0, "a capped clip is ready before the violation ends"
    clip = items[0].evidence["clip"]
    assert clip["requested_end_source_s"] == pytest.approx(18.0 + 12.0)
    _check_clip(clip, people, 18.0, 30.0)


def test_evidence_is_announced_only_when_every_file_is_complete(
    vtest: Path, tmp_path: Path
) -> None:
    seen: list[EvidenceReady] = []

    def check(_t: float, items: list[EvidenceReady]) -> None:
        for ref in all_refs(items):
            data = Path(str(ref["path"])).read_bytes()
            assert len(data) == ref["size"]
            assert hashlib.sha256(data).hexdigest() == ref["sha256"]
        seen.extend(items)

    rec = recorder(tmp_path)
    script = {12.0: [update("a", "started", 12.0, 11.0)],
              15.0: [update("b", "started", 15.0, 15.0)],
              20.0: [update("a", "updated", 20.0, 11.0)],
              22.0: [update("a", "ended", 22.0, 11.0, 19.0)]}
    result = replay(vtest, rec, script, until_s=60.0, on_poll=check)
    # "b" never ends: finish() writes it with what there is.
    assert sorted(r.violation_id for r in result.ready) == ["a", "b"]
    assert {r.violation_id for r in seen} == {"a"}
    for r in result.ready:
        assert r.evidence["ready"] is True
        assert r.evidence["snapshot"] is not None and r.evidence["clip"] is not None
    b = next(r for r in result.ready if r.violation_id == "b")
    assert b.evidence["clip"]["closed_by"] == "end_of_stream"
    for ref in all_refs(result.ready):
        assert Path(str(ref["path"])).is_file()
    leftovers = [p for p in (tmp_path / "evidence").rglob(".*") if p.is_file()]
    assert leftovers == [], "no temporary file survives"
    assert rec.stats.snapshot()["clips_written"] == 2


def test_threaded_mode_writes_the_same_clip_as_replay_mode(vtest: Path, tmp_path: Path) -> None:
    script = {30.0: [update("v", "started", 30.0, 29.0)],
              33.0: [update("v", "ended", 33.0, 29.0, 31.0)]}
    sync = replay(vtest, recorder(tmp_path / "sync"), script, until_s=45.0).ready
    rec = recorder(tmp_path / "thr", threaded=True)
    threaded = replay(vtest, rec, script, until_s=45.0).ready + rec.drain(30.0)
    rec.stop()
    assert len(sync) == len(threaded) == 1
    assert sync[0].evidence["clip"]["sha256"] == threaded[0].evidence["clip"]["sha256"]
    a, b = sync[0].evidence["clip"], threaded[0].evidence["clip"]
    assert a["start_source_s"] == b["start_source_s"]


def test_without_main_stream_evidence_has_snapshot_and_says_why_no_clip(
    vtest: Path, tmp_path: Path
) -> None:
    rec = recorder(tmp_path)
    with av.open(str(vtest)) as c:
        frame = next(c.decode(video=0)).to_ndarray(format="bgr24")
    from .replaykit import T0_WALL

    rec.on_update(update("x", "started", 1.0, 1.0), frame, 1.0, T0_WALL)
    rec.on_update(update("x", "ended", 4.0, 1.0, 2.0), frame, 4.0, T0_WALL)
    assert rec.poll(5.0) == []
    ready = rec.poll(30.0)  # 2 + post_s + stale_s has passed and no packet ever came
    assert len(ready) == 1
    ev = ready[0].evidence
    assert ev["ready"] is True and ev["clip"] is None
    assert Path(ev["snapshot"]["path"]).is_file()
    assert any("clip" in e for e in ev["errors"])


def test_updates_after_a_capped_clip_do_not_open_a_second_one(
    people: Path, tmp_path: Path
) -> None:
    rec = recorder(tmp_path, pre_s=1.0, post_s=1.0, max_clip_s=5.0)
    script = {10.0: [update("c", "started", 10.0, 10.0)],
              20.0: [update("c", "updated", 20.0, 10.0)],
              25.0: [update("c", "ended", 25.0, 10.0, 24.0)]}
    result = replay(people, rec, script, until_s=35.0)
    assert [r.violation_id for r in result.ready] == ["c"]
    assert rec.stats.snapshot()["snapshots_written"] == 1


def test_an_end_without_a_picture_still_closes_the_clip(vtest: Path, tmp_path: Path) -> None:
    """Camera offline or zone removed: the `ended` update comes without a frame."""
    rec = recorder(tmp_path, pre_s=2.0, post_s=2.0)
    real_on_update = rec.on_update

    def on_update(u: Any, frame: Any, t: float, wall: Any) -> None:
        real_on_update(u, None if u.phase == "ended" else frame, t, wall)

    rec.on_update = on_update  # type: ignore[method-assign]
    script = {10.0: [update("v9", "started", 10.0, 9.0)],
              14.0: [update("v9", "ended", 14.0, 9.0, 12.0)],
              15.0: [update("v10", "ended", 15.0, 15.0, 15.0)]}  # never started: ignored
    result = replay(vtest, rec, script, until_s=40.0)
    assert [r.violation_id for r in result.ready] == ["v9"]
    clip = result.ready[0].evidence["clip"]
    assert clip["requested_end_source_s"] == pytest.approx(14.0)
    assert clip["closed_by"] != "end_of_stream"
