"""Bounded history of compressed packets, and the clips being cut from it.

The ring keeps just enough history for a pre-roll (the keyframe at or before `now - keep_s`);
a clip that has been scheduled collects its own packets as they arrive until its window is
covered, so a long violation does not make every camera's ring long.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from edge.evidence.types import PacketRecord


class PacketRing:
    """Packets in arrival (decode) order, pruned GOP by GOP."""

    def __init__(self, keep_s: float, max_bytes: int) -> None:
        self.keep_s = keep_s
        self.max_bytes = max_bytes
        self._packets: deque[PacketRecord] = deque()
        self._keyframes_t_s: deque[float] = deque()  # presentation times of keyframes held
        self._bytes = 0
        self.dropped = 0
        self.newest_dts_s = -math.inf

    def __len__(self) -> int:
        return len(self._packets)

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        self._packets.clear()
        self._keyframes_t_s.clear()
        self._bytes = 0
        self.newest_dts_s = -math.inf

    def append(self, rec: PacketRecord) -> None:
        if not self._packets and not rec.keyframe:
            self.dropped += 1  # a clip can only start at a keyframe
            return
        self._packets.append(rec)
        if rec.keyframe:
            self._keyframes_t_s.append(rec.t_s)
        self._bytes += len(rec.data)
        self.newest_dts_s = max(self.newest_dts_s, rec.dts_s)
        self._prune()

    def _prune(self) -> None:
        cutoff_s = self.newest_dts_s - self.keep_s
        while True:
            if self._second_keyframe_at_or_before(cutoff_s):
                self._drop_first_gop()  # aged out: not a loss
            elif self._bytes > self.max_bytes and len(self._keyframes_t_s) >= 2:
                self.dropped += self._drop_first_gop()  # pre-roll shortened by the byte cap
            else:
                return

    def _second_keyframe_at_or_before(self, cutoff_s: float) -> bool:
        """Is the first GOP no longer needed (the next one still starts early enough)?"""
        return len(self._keyframes_t_s) >= 2 and self._keyframes_t_s[1] <= cutoff_s

    def _drop_first_gop(self) -> int:
        self._keyframes_t_s.popleft()
        n = 0
        while self._packets and (n == 0 or not self._packets[0].keyframe):
            rec = self._packets.popleft()
            self._bytes -= len(rec.data)
            n += 1
        return n

    def start_at(self, start_s: float) -> list[PacketRecord]:
        """Packets from the keyframe at or before `start_s` (else the oldest one) onwards."""
        recs = list(self._packets)
        idx = 0
        for i, r in enumerate(recs):
            if r.keyframe and r.t_s <= start_s:
                idx = i
        return recs[idx:]


@dataclass
class OpenClip:
    """A clip window being filled; `end_s` is inf while the violation lasts (capped)."""

    violation_id: str
    requested_start_s: float
    cap_end_s: float
    end_s: float = math.inf
    packets: list[PacketRecord] = field(default_factory=list)
    complete: bool = False
    _max_pts_s: float = -math.inf

    @property
    def target_end_s(self) -> float:
        return min(self.end_s, self.cap_end_s)

    def offer(self, rec: PacketRecord) -> None:
        """Take a packet if it falls inside the window; mark complete past the end.

        Packets are in decode order: once decode time passes the end, only B-frames that
        fill gaps before the latest included frame are still taken, so the clip ends without a
        hole in presentation order.
        """
        if self.complete or (not self.packets and not rec.keyframe):
            return
        if rec.dts_s < self.target_end_s or rec.t_s < self._max_pts_s:
            self.packets.append(rec)
            self._max_pts_s = max(self._max_pts_s, rec.t_s)
            return
        self.complete = True

    def set_end(self, end_s: float) -> None:
        """Fix the end; packets already taken past it (the end is often learnt late) go."""
        self.end_s = end_s
        taken, self.packets = self.packets, []
        self.complete = False
        self._max_pts_s = -math.inf
        for rec in taken:
            self.offer(rec)
