"""Completeness per box: which CloudEvents `sequence` numbers arrived, as merged ranges.

Each box numbers its events 1, 2, 3, ... (persisted, so it keeps counting across restarts).
The store keeps, per box, the seen numbers as disjoint, non-adjacent ranges [first, last]
(box_sequences) and on the box row the lowest and highest seen and how many in between are
missing. Gaps are the holes between ranges; numbers before the first one seen are not
counted missing (the console may have started after the box). Duplicates change nothing.
A number counts as received when its event arrived with a readable envelope, even if the
console ignores its type or refuses its data. Sequences only report completeness;
de-duplication is by event id.

Callers hold the box row's lock (SELECT ... FOR UPDATE) while calling `record`, which is what
makes two ingest replicas writing the same box at once safe on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from sqlalchemy import Connection, and_, delete, insert, select, update

from console.store.model import Gap
from console.store.tables import box_sequences

Range = tuple[int, int]


@dataclass
class SeqState:
    """The box row's summary: lowest and highest seen, number missing in between."""

    first: int | None
    last: int | None
    missing: int

    def add(self, seq: int) -> None:
        """Account for a sequence number that was not seen before."""
        if self.first is None or self.last is None:
            self.first = self.last = seq
        elif seq > self.last:
            self.missing += seq - self.last - 1
            self.last = seq
        elif seq < self.first:
            self.missing += self.first - seq - 1
            self.first = seq
        else:
            self.missing -= 1  # it filled a hole


def add_to_ranges(ranges: list[Range], seq: int) -> tuple[list[Range], bool]:
    """Pure model of `record`: the ranges with `seq` added, and whether it was new."""
    out: list[Range] = []
    new = (seq, seq)
    for first, last in sorted(ranges):
        if first <= seq <= last:
            return sorted(ranges), False
        if last == new[0] - 1 or first == new[1] + 1:
            new = (min(first, new[0]), max(last, new[1]))
        else:
            out.append((first, last))
    return sorted([*out, new]), True


def record(conn: Connection, site_id: str, box_id: str, seq: int) -> bool:
    """Add `seq` to the box's ranges; False when it had been seen already."""
    t = box_sequences.c
    box = and_(t.site_id == site_id, t.box_id == box_id)
    # The (at most) two ranges that can touch seq: the one starting at seq+1 and the one
    # starting at or before seq.
    near = conn.execute(
        select(t.first_seq, t.last_seq).where(box, t.first_seq <= seq + 1)
        .order_by(t.first_seq.desc()).limit(2)
    ).all()
    right = next(((f, last) for f, last in near if f == seq + 1), None)
    left = next(((f, last) for f, last in near if f <= seq), None)
    if left is not None and left[1] >= seq:
        return False
    if left is not None and left[1] == seq - 1:
        new_last = right[1] if right is not None else seq
        conn.execute(update(box_sequences).where(box, t.first_seq == left[0])
                     .values(last_seq=new_last))
        if right is not None:
            conn.execute(delete(box_sequences).where(box, t.first_seq == right[0]))
    elif right is not None:
        conn.execute(update(box_sequences).where(box, t.first_seq == right[0])
                     .values(first_seq=seq))
    else:
        conn.execute(insert(box_sequences).values(
            site_id=site_id, box_id=box_id, first_seq=seq, last_seq=seq))
    return True


def ranges_of(conn: Connection, site_id: str, box_id: str) -> list[Range]:
    t = box_sequences.c
    rows = conn.execute(
        select(t.first_seq, t.last_seq)
        .where(t.site_id == site_id, t.box_id == box_id).order_by(t.first_seq)
    ).all()
    return [(int(f), int(last)) for f, last in rows]


def gaps(ranges: Iterable[Range]) -> list[Gap]:
    """The holes between consecutive ranges, oldest first."""
    ordered = sorted(ranges)
    return [
        Gap(a_last + 1, b_first - 1)
        for (_, a_last), (b_first, _) in pairwise(ordered)
    ]
