"""The memory queue's eviction policy (table of cases) and its ordered access."""

from __future__ import annotations

import pytest

from publisher.memqueue import Eviction, MemoryQueue
from publisher.outbox import Evictable, Message


def _msg(seq: int, spec: str) -> Message:
    """`spec` is `<violation>:<phase>` (`A:started`, `B:updated`) or `cam` (a camera event)."""
    if spec == "cam":
        return Message("t", b"x", event_id=f"e{seq}", sequence=seq)
    vid, phase = spec.split(":")
    cls = Evictable.UPDATE if phase == "updated" else Evictable.PROTECTED
    return Message("t", b"x", event_id=f"e{seq}", violation_id=vid, phase=phase, cls=cls,
                   sequence=seq)


# Each case: the queue's bound, the events pushed in order (sequence = position + 1), the
# evictions expected (sequence, kind) in order, and the sequences left.
@pytest.mark.parametrize(("bound", "pushed", "evicted", "left"), [
    # A superseded update goes first, even when it is not the oldest entry.
    (3, ["A:started", "A:updated", "A:updated", "A:ended"],
     [(2, Eviction.MERGED)], [1, 3, 4]),
    # B's only update is not superseded: an older superseded one of A goes first.
    (4, ["B:updated", "A:updated", "A:updated", "C:started", "D:started"],
     [(2, Eviction.MERGED)], [1, 3, 4, 5]),
    # No superseded update: the oldest update is dropped, protected events stay.
    (3, ["A:started", "A:updated", "B:started", "B:updated"],
     [(2, Eviction.DROPPED)], [1, 3, 4]),
    # An update superseded by a later `ended` of the same violation counts as merged.
    (2, ["A:updated", "A:ended", "cam"],
     [(1, Eviction.MERGED)], [2, 3]),
    # Only protected events: the oldest is dropped (memory stays bounded), counted apart.
    (2, ["A:started", "cam", "B:ended"],
     [(1, Eviction.DROPPED_PROTECTED)], [2, 3]),
    # started/ended are never evicted before any update, whatever their age.
    (3, ["A:started", "B:started", "C:updated", "D:ended", "E:ended"],
     [(3, Eviction.DROPPED), (1, Eviction.DROPPED_PROTECTED)], [2, 4, 5]),
    # A new update may itself be the one dropped when it is the only update.
    (2, ["A:started", "B:ended", "C:updated"],
     [(3, Eviction.DROPPED)], [1, 2]),
    # Several merges in a row, oldest superseded first.
    (2, ["A:updated", "A:updated", "A:updated", "A:updated"],
     [(1, Eviction.MERGED), (2, Eviction.MERGED)], [3, 4]),
])
def test_eviction_policy(bound: int, pushed: list[str], evicted: list[tuple[int, Eviction]],
                         left: list[int]) -> None:
    q = MemoryQueue(bound)
    got: list[tuple[int, Eviction]] = []
    for i, spec in enumerate(pushed, start=1):
        got += [(m.sequence or 0, why) for m, why in q.push(_msg(i, spec))]
    assert got == evicted
    assert [m.sequence for m in q.oldest(100)] == left
    assert len(q) == len(left) <= bound
    kinds = [why for _, why in evicted]
    assert (q.merged, q.dropped, q.dropped_protected) == (
        kinds.count(Eviction.MERGED), kinds.count(Eviction.DROPPED),
        kinds.count(Eviction.DROPPED_PROTECTED))


def test_ordered_access_removal_and_pending() -> None:
    q = MemoryQueue(10)
    for i, spec in enumerate(["A:started", "A:updated", "B:started", "A:ended"], start=1):
        q.push(_msg(i, spec))
    assert [m.sequence for m in q.after(1, 2)] == [2, 3]
    assert [m.sequence for m in q.after(4, 10)] == []
    assert q.remove(2) is not None and q.remove(2) is None
    assert [m.sequence for m in q.after(0, 10)] == [1, 3, 4]
    assert q.is_pending("A") and q.is_pending("B")
    q.remove(3)
    assert not q.is_pending("B")
    # After the update was removed, A's `started` is no candidate for merging.
    q2 = MemoryQueue(1)
    q2.push(_msg(1, "A:started"))
    assert [(m.sequence, w) for m, w in q2.push(_msg(2, "A:ended"))] == [
        (1, Eviction.DROPPED_PROTECTED)]


def test_rejects_unnumbered_and_duplicate_events() -> None:
    q = MemoryQueue(5)
    with pytest.raises(ValueError, match="sequence"):
        q.push(Message("t", b"x"))
    q.push(_msg(1, "cam"))
    with pytest.raises(ValueError, match="already held"):
        q.push(_msg(1, "cam"))
    with pytest.raises(ValueError):
        MemoryQueue(0)
