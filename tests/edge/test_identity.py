"""Live and replay are one analysis core: the same footage gives the same violations.

A 72.5 s clip of one-by-one-person-detection.mp4, prepared as a camera sends it (key frame
every second, no B-frames), is served by the test RTSP server WITHOUT re-encoding and run
live by the supervisor, then replayed from the very same file. Per zone the same number of
violations must come out, and after one common time shift (live runs on the wall clock,
replay from a fixed origin) every start and end agrees within 0.5 s. Violations that start
in the first seconds, while the live detector warms up, are counted but not timed.

What each side sees (checked on the frames, see test_golden_replay.py): the table is empty
over 0-6.4, 19.0-23.2 and 44.0-50.8 s and someone stands at it otherwise until 69 s.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from edge.config import SiteConfig, parse_config
from edge.core.detect import open_detectors
from edge.ingest import ReaderState
from edge.replay import ReplayOptions, run_replay
from edge.runtime import Supervisor
from publisher.events import Event
from tests.rtsp_server import RtspServer, prepare, wait_until

CLIP_S = 72.5
WARMUP_S = 10.0  # live: violations starting this early are counted, not timed
TOLERANCE_S = 0.5
TABLE = [[0.45, 0.78], [0.75, 0.78], [0.75, 1.0], [0.45, 1.0]]

Span = tuple[float, float | None]  # (start, end) as UNIX times


def _site(clip_url: str, store: Path, assets: Path) -> SiteConfig:
    doc = {
        "site_id": "plant-7", "box_id": "edge-01", "timezone": "UTC",
        "detector": {"model": str(assets / "models" / "yolox_nano.onnx")},
        "cameras": [{"id": "desk", "url": clip_url, "analysis_fps": 5,
                     "stream": {"open_timeout_s": 3, "read_timeout_s": 3}}],
        "zones": [
            {"id": "post", "camera": "desk", "kind": "duty_post", "absence_s": 4.5,
             "return_s": 2, "points": TABLE},
            {"id": "table", "camera": "desk", "kind": "danger_zone", "min_duration_s": 1,
             "clear_s": 2, "points": TABLE},
        ],
        "storage": {"directory": str(store), "evidence": {"enabled": False}},
    }
    return parse_config(yaml.safe_dump(doc))


def _spans(events: list[Event]) -> dict[str, list[Span]]:
    """zone → violations (start, end) by violation id, in order of start."""
    by_id: dict[str, tuple[str, float, float | None]] = {}
    for ev in events:
        v = ev.violation
        if v is None or v.phase not in ("started", "ended"):
            continue
        start = datetime.fromisoformat(v.started_at).timestamp()
        end = datetime.fromisoformat(v.ended_at).timestamp() if v.ended_at else None
        prev = by_id.get(v.violation_id)
        by_id[v.violation_id] = (v.zone_id, start, end if end is not None else
                                 (prev[2] if prev else None))
    out: dict[str, list[Span]] = {}
    for zone, start, end in sorted(by_id.values(), key=lambda x: x[1]):
        out.setdefault(zone, []).append((start, end))
    return out


def _run_live(cfg: SiteConfig, deadline_s: float) -> tuple[list[Event], list[str]]:
    """The supervisor on the served clip until its stream ends: (events, disturbances)."""
    events: list[Event] = []
    lock = threading.Lock()

    def keep(ev: Event) -> None:
        with lock:
            events.append(ev)

    sup = Supervisor(cfg, evidence=False, tick_s=0.2)
    sup.add_listener(keep)
    source = sup.runners[0].source
    reader = source.detect_reader
    sup.start()
    th = threading.Thread(target=sup.run, daemon=True)
    th.start()
    try:
        # The clip plays once: stop when its stream ends, before a reconnect replays it.
        assert wait_until(lambda: reader.state is ReaderState.STREAMING, 20), reader.last_error
        t0_s = time.monotonic()
        assert wait_until(lambda: reader.state is not ReaderState.STREAMING, deadline_s), \
            "the stream never ended"
        streamed_s = time.monotonic() - t0_s
    finally:
        sup.stop()
        th.join(5)
        sup.close(timeout_s=3.0)
    out = _disturbances(source.clock.resyncs, reader.counters.stalls, events)
    if streamed_s < CLIP_S - 5:
        out.append(f"stream cut after {streamed_s:.1f} s ({reader.last_error})")
    return events, out


def _disturbances(resyncs: int, stalls: int, events: list[Event]) -> list[str]:
    """What made the live stream differ from the file: then live times are not comparable.

    A machine too busy to read the stream for seconds (seen once in CI: no analysed frame
    for over 10 s, and the shared server pipeline, held back by the unread TCP connection,
    resumed 37 s late) re-anchors the stream clock, as it must for a real camera.
    """
    out = [f"{n} {what}" for n, what in ((resyncs, "clock re-anchors"),
                                          (stalls, "stalled sessions")) if n]
    out += ["camera offline" for ev in events if ev.type == "sitewarden.camera.offline"]
    return out


def _live_spans(clip: Path, tmp_path: Path, assets: Path) -> dict[str, list[Span]]:
    """Live spans of an undisturbed run; one more try when the machine disturbed the first."""
    seen: list[list[str]] = []
    for attempt in range(2):
        with RtspServer({"desk": clip}) as server:
            cfg = _site(server.url("desk"), tmp_path / f"live{attempt}", assets)
            events, disturbed = _run_live(cfg, CLIP_S + 15)
        if not disturbed:
            return _spans(events)
        seen.append(disturbed)
        logging.getLogger(__name__).warning("live run %d disturbed: %s", attempt, disturbed)
    pytest.fail(f"every live run was disturbed by the machine, not the code: {seen}")


@pytest.mark.slow
def test_live_and_replay_of_the_same_clip_give_the_same_violations(
    assets: Path, tmp_path: Path
) -> None:
    clip = prepare(assets / "video" / "one-by-one-person-detection.mp4", "identity",
                   duration_s=CLIP_S)
    live = _live_spans(clip, tmp_path, assets)
    replay_cfg = _site(str(clip), tmp_path / "replay", assets)
    sessions, _ = open_detectors(replay_cfg)
    replayed = _spans(run_replay(replay_cfg, ReplayOptions("desk", clip), sessions, []).events)

    assert {z: len(v) for z, v in live.items()} == {z: len(v) for z, v in replayed.items()}
    assert {z: len(v) for z, v in replayed.items()} == {"post": 2, "table": 3}
    origin = min(s for spans in replayed.values() for s, _ in spans) - 4.6  # first post alarm
    pairs = [(lv, rp) for z in replayed for lv, rp in zip(live[z], replayed[z], strict=True)
             if rp[0] - origin >= WARMUP_S]
    shift = statistics.median(lv[0] - rp[0] for lv, rp in pairs)
    for lv, rp in pairs:
        assert abs(lv[0] - rp[0] - shift) <= TOLERANCE_S, (lv, rp, shift)
        assert lv[1] is not None and rp[1] is not None, (lv, rp)
        assert abs(lv[1] - rp[1] - shift) <= TOLERANCE_S, (lv, rp, shift)
    assert len(pairs) >= 3
    worst = max(max(abs(lv[0] - rp[0] - shift), abs((lv[1] or 0) - (rp[1] or 0) - shift))
                for lv, rp in pairs)
    print(f"identity: {len(pairs)} violations timed, worst deviation {worst:.2f} s")
