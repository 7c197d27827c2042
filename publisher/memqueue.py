"""Events held in memory while the outbox cannot store them (full disk, I/O error).

The queue is bounded by `mqtt.outbox.memory_max_events`. When a new event would exceed it, one
held event is evicted, in the order the outbox budget uses (docs/mqtt.md), oldest first within
each step:
  1. an `updated` phase superseded by a later held phase of the same violation (merged: every
     phase carries the violation's full current state),
  2. any other `updated` phase (dropped),
  3. only when no `updated` phase is left: the oldest other event (`started`, `ended`, camera,
     box, review), dropped and counted apart. Unlike the outbox, memory cannot grow past its
     bound, or a long full-disk outage would end in the process being killed for memory.
Keys are the events' box sequence numbers, so iteration order is emission order.
"""

from __future__ import annotations

import bisect
import threading
from enum import StrEnum

from publisher.outbox import Evictable, Message


class Eviction(StrEnum):
    MERGED = "merged"
    DROPPED = "dropped"
    DROPPED_PROTECTED = "dropped_protected"


class MemoryQueue:
    """Thread-safe: callers push, the I/O thread reads, removes on PUBACK and moves to disk."""

    def __init__(self, max_events: int) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be at least 1, got {max_events}")
        self.max_events = max_events
        self.merged = 0
        self.dropped = 0
        self.dropped_protected = 0
        self._lock = threading.Lock()
        self._items: dict[int, Message] = {}
        self._keys: list[int] = []  # sorted
        self._updates: list[int] = []  # sorted keys of `updated` phases (evicted first)
        self._by_violation: dict[str, list[int]] = {}  # sorted keys per violation_id

    def push(self, message: Message) -> list[tuple[Message, Eviction]]:
        """Hold one event; returns what had to be evicted to stay within the bound."""
        key = message.sequence
        if key is None:
            raise ValueError("a held event needs its sequence number")
        with self._lock:
            if key in self._items:
                raise ValueError(f"sequence {key} is already held")
            self._items[key] = message
            bisect.insort(self._keys, key)
            if message.cls is Evictable.UPDATE:
                bisect.insort(self._updates, key)
            if message.violation_id is not None:
                bisect.insort(self._by_violation.setdefault(message.violation_id, []), key)
            evicted: list[tuple[Message, Eviction]] = []
            while len(self._items) > self.max_events:
                evicted.append(self._evict_one())
            return evicted

    def remove(self, key: int) -> Message | None:
        """Forget one held event (acknowledged, or moved into the outbox)."""
        with self._lock:
            return self._remove(key)

    def after(self, key: int, limit: int) -> list[Message]:
        """The oldest `limit` held events with a sequence number above `key`."""
        with self._lock:
            i = bisect.bisect_right(self._keys, key)
            return [self._items[k] for k in self._keys[i:i + limit]]

    def oldest(self, limit: int) -> list[Message]:
        with self._lock:
            return [self._items[k] for k in self._keys[:limit]]

    def is_pending(self, violation_id: str) -> bool:
        with self._lock:
            return violation_id in self._by_violation

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def _evict_one(self) -> tuple[Message, Eviction]:
        for key in self._updates:
            m = self._items[key]
            later = self._by_violation.get(m.violation_id or "", [])
            if later and later[-1] > key:
                self.merged += 1
                return self._must_remove(key), Eviction.MERGED
        if self._updates:
            self.dropped += 1
            return self._must_remove(self._updates[0]), Eviction.DROPPED
        self.dropped_protected += 1
        return self._must_remove(self._keys[0]), Eviction.DROPPED_PROTECTED

    def _must_remove(self, key: int) -> Message:
        m = self._remove(key)
        assert m is not None
        return m

    def _remove(self, key: int) -> Message | None:
        m = self._items.pop(key, None)
        if m is None:
            return None
        _discard_sorted(self._keys, key)
        if m.cls is Evictable.UPDATE:
            _discard_sorted(self._updates, key)
        if m.violation_id is not None:
            keys = self._by_violation[m.violation_id]
            _discard_sorted(keys, key)
            if not keys:
                del self._by_violation[m.violation_id]
        return m


def _discard_sorted(keys: list[int], key: int) -> None:
    i = bisect.bisect_left(keys, key)
    if i < len(keys) and keys[i] == key:
        del keys[i]
