"""Which side of every line each track was last seen on: one array update for all lines.

A track's side of a line is remembered only when its anchor is at least `line_margin` away
from the line, so an anchor jittering on the line never changes side. A *crossing* is a
change of remembered side whose step (last position on the old side -> first position on
the new side) meets the drawn segment: walking around an end of the line is not a crossing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from zones.geometry import LineGeometry
from zones.types import Track

LINE_MEMORY_S = 10.0  # forget a track not seen (by any line) for this long


@dataclass(frozen=True)
class Crossing:
    t_s: float
    track_id: int
    direction: str  # "in": left -> right of p0 -> p1 on screen; "out": right -> left
    x: float
    y: float
    track: Track


@dataclass(frozen=True, eq=False)
class LineBank:
    """Per track (rows, sorted by id) and line (columns): remembered side (+1 right of
    p0 -> p1 on screen, -1 left, 0 unknown) and the anchor where it was confirmed.
    Arrays are never modified in place."""

    ids: NDArray[np.int64]  # (M,)
    t_s: NDArray[np.float64]  # (M,) last seen
    side: NDArray[np.int8]  # (L, M)
    x: NDArray[np.float64]  # (L, M)
    y: NDArray[np.float64]  # (L, M)

    @staticmethod
    def empty(n_lines: int) -> LineBank:
        return LineBank(
            np.empty(0, np.int64),
            np.empty(0),
            np.empty((n_lines, 0), np.int8),
            np.empty((n_lines, 0)),
            np.empty((n_lines, 0)),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LineBank):
            return NotImplemented
        pairs = zip(self._arrays(), other._arrays(), strict=True)
        return all(a.shape == b.shape and np.array_equal(a, b) for a, b in pairs)

    def __hash__(self) -> int:
        return hash(self.ids.tobytes())

    def _arrays(self) -> tuple[NDArray[np.generic], ...]:
        return (self.ids, self.t_s, self.side, self.x, self.y)

    def columns(self, take: list[int | None]) -> LineBank:
        """A bank for another set of lines: column j copies old column take[j] (or unknown)."""
        m = len(self.ids)
        side = np.zeros((len(take), m), np.int8)
        x, y = np.zeros((len(take), m)), np.zeros((len(take), m))
        for j, i in enumerate(take):
            if i is not None:
                side[j], x[j], y[j] = self.side[i], self.x[i], self.y[i]
        return LineBank(self.ids, self.t_s, side, x, y)


@dataclass(frozen=True)
class LineObservation:
    """All lines' view of one frame: (L, N) anchors, signed distances, usable mask."""

    tracks: tuple[Track, ...]
    ids: NDArray[np.int64]
    ax: NDArray[np.float64]
    ay: NDArray[np.float64]
    dist: NDArray[np.float64]
    usable: NDArray[np.bool_]


def update_bank(
    bank: LineBank,
    geom: LineGeometry,
    margins: NDArray[np.float64],
    t_s: float,
    obs: LineObservation,
) -> tuple[LineBank, list[list[Crossing]]]:
    """New memory and, per line, the crossings completed on this frame."""
    n_lines = len(margins)
    m = margins[:, None]
    side = np.where(obs.dist >= m, 1, np.where(obs.dist <= -m, -1, 0)).astype(np.int8)
    side[~obs.usable] = 0
    pos = np.searchsorted(bank.ids, obs.ids)
    pos_c = np.minimum(pos, max(len(bank.ids) - 1, 0))
    if len(bank.ids):
        matched = (pos < len(bank.ids)) & (bank.ids[pos_c] == obs.ids)
        found = matched & (t_s - bank.t_s[pos_c] <= LINE_MEMORY_S)
        prev_side = np.where(found[None, :], bank.side[:, pos_c], 0).astype(np.int8)
        prev_x, prev_y = bank.x[:, pos_c], bank.y[:, pos_c]
    else:
        matched = np.zeros(len(obs.ids), dtype=bool)
        prev_side = np.zeros_like(side)
        prev_x, prev_y = np.zeros(side.shape), np.zeros(side.shape)
    crossings: list[list[Crossing]] = [[] for _ in range(n_lines)]
    flips_l, flips_k = np.nonzero((side != 0) & (prev_side != 0) & (side != prev_side))
    for lk in zip(flips_l.tolist(), flips_k.tolist(), strict=True):
        c = _crossing(geom, obs, lk, t_s, (float(prev_x[lk]), float(prev_y[lk])), prev_side[lk])
        if c is not None:
            crossings[lk[0]].append(c)
    decided = side != 0
    new = LineBank(
        obs.ids,
        np.full(len(obs.ids), t_s),
        np.where(decided, side, prev_side).astype(np.int8),
        np.where(decided, obs.ax, prev_x),
        np.where(decided, obs.ay, prev_y),
    )
    return _merge(bank, new, matched, pos_c, t_s), crossings


def _crossing(
    geom: LineGeometry,
    obs: LineObservation,
    lk: tuple[int, int],
    t_s: float,
    prev_xy: tuple[float, float],
    prev_side: int,
) -> Crossing | None:
    line, k = lk
    cur_xy = (float(obs.ax[lk]), float(obs.ay[lk]))
    u = geom.crossing_param(line, prev_xy, cur_xy)
    if not 0.0 <= u <= 1.0:
        return None
    tr = obs.tracks[k]
    direction = "in" if prev_side < 0 else "out"
    return Crossing(t_s, tr.track_id, direction, cur_xy[0], cur_xy[1], tr)


def _merge(
    old: LineBank, new: LineBank, matched: NDArray[np.bool_], pos: NDArray[np.intp], t_s: float
) -> LineBank:
    """This frame's tracks plus the old tracks not in it that are still fresh."""
    in_frame = np.zeros(len(old.ids), dtype=bool)
    in_frame[pos[matched]] = True
    keep = ~in_frame & (t_s - old.t_s <= LINE_MEMORY_S)
    if not keep.any():
        order = np.argsort(new.ids, kind="stable")
        return LineBank(
            new.ids[order], new.t_s[order], new.side[:, order], new.x[:, order], new.y[:, order]
        )
    ids = np.concatenate([old.ids[keep], new.ids])
    order = np.argsort(ids, kind="stable")
    return LineBank(
        ids[order],
        np.concatenate([old.t_s[keep], new.t_s])[order],
        np.concatenate([old.side[:, keep], new.side], axis=1)[:, order],
        np.concatenate([old.x[:, keep], new.x], axis=1)[:, order],
        np.concatenate([old.y[:, keep], new.y], axis=1)[:, order],
    )
