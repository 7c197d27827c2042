"""Live shape: packets from an ingest thread, updates from the analysis thread, worker writes."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import av
import pytest

from .replaykit import T0_WALL, decoded_times, recorder, update

pytestmark = pytest.mark.assets


def test_two_threads_feed_a_threaded_recorder(people: Path, tmp_path: Path) -> None:
    rec = recorder(tmp_path, threaded=True, pre_s=3.0, post_s=2.0)
    frame_t = [0.0]
    cond = threading.Condition()
    errors: list[BaseException] = []

    def ingest() -> None:  # the main stream runs at most 0.5 s ahead of analysis, as live
        try:
            with av.open(str(people)) as c:
                s = c.streams.video[0]
                rec.set_stream(s)
                for pkt in c.demux(s):
                    t = float((pkt.dts or 0) * s.time_base)
                    with cond:
                        cond.wait_for(lambda t=t: t <= frame_t[0] + 0.5 or frame_t[0] < 0, 10)
                    rec.add_packet(pkt)
        except BaseException as e:
            errors.append(e)

    th = threading.Thread(target=ingest)
    th.start()
    script = {15.0: [update("L1", "started", 15.0, 14.0)],
              20.0: [update("L1", "ended", 20.0, 14.0, 18.0)]}
    ready = []
    with av.open(str(people)) as c:
        for frame in c.decode(video=0):
            t = float(frame.time or 0.0)
            if t > 30.0:
                break
            for u in script.pop(round(t, 3), []):
                rec.on_update(u, frame.to_ndarray(format="bgr24"), t,
                              T0_WALL + timedelta(seconds=t))
            ready += rec.poll(t)
            with cond:
                frame_t[0] = t
                cond.notify_all()
    with cond:
        frame_t[0] = -1.0  # let ingest run to the end
        cond.notify_all()
    th.join(30)
    ready += rec.finish(30.0)
    rec.stop()
    assert errors == []
    assert [r.violation_id for r in ready] == ["L1"]
    clip = ready[0].evidence["clip"]
    assert clip["closed_by"] == "complete"
    assert 10.0 <= clip["start_source_s"] <= 11.0  # keyframes every 1 s
    times = decoded_times(clip["path"])
    assert 20.0 <= clip["start_source_s"] + times[-1] + 0.1 <= 21.0 + 1e-6
    assert rec.stats.snapshot()["queue_drops"] == 0
