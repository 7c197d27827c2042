"""The packet ring keeps a pre-roll from a keyframe and no more; clips take their window."""

from __future__ import annotations

from edge.evidence.ring import OpenClip, PacketRing
from edge.evidence.types import PacketRecord


def _rec(i: int, gop: int = 10, size: int = 100) -> PacketRecord:
    t = i / 10
    return PacketRecord(i, i, 1, i % gop == 0, t, t, b"x" * size)


def test_ring_keeps_the_keyframe_at_or_before_the_pre_roll() -> None:
    ring = PacketRing(keep_s=2.5, max_bytes=10**9)
    for i in range(100):
        ring.append(_rec(i))
        head = ring.start_at(-1.0)[0]
        assert head.keyframe
        assert head.t_s <= max(0.0, i / 10 - 2.5) + 1e-9, "a full pre-roll is always there"
        assert head.t_s > i / 10 - 2.5 - 1.0 - 1e-9, "at most one GOP more than needed"
    assert ring.dropped == 0
    assert ring.start_at(7.25)[0].t_s == 7.0


def test_ring_byte_cap_drops_whole_gops_and_counts_them() -> None:
    ring = PacketRing(keep_s=100.0, max_bytes=2500)
    ring.append(_rec(1))  # not a keyframe: nothing to start a clip from
    for i in range(10, 60):
        ring.append(_rec(i))
    assert ring.nbytes == 2000, "GOPs 4 and 5 fit under the cap"
    assert ring.start_at(0.0)[0].t_s == 4.0
    assert ring.dropped == 1 + 30  # the lone packet, then three GOPs of ten


def test_open_clip_window_and_late_end() -> None:
    clip = OpenClip("v", requested_start_s=1.0, cap_end_s=100.0)
    clip.offer(_rec(5))  # starts mid-GOP: ignored until a keyframe
    for i in range(10, 80):
        clip.offer(_rec(i))
    assert not clip.complete and clip.packets[0].t_s == 1.0
    clip.set_end(4.0)  # learnt late: packets past the end are let go
    assert clip.complete
    assert clip.packets[-1].t_s < 4.0 and len(clip.packets) == 30
