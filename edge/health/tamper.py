"""Tamper detection on sampled frames: frozen, black, saturated, blurred/covered, moved.

Each check gives a yes/no per frame from cheap statistics of a 320-px grey copy; a reason
becomes active only after it held for its hold time and clears only after it has been
absent for `clear_s` (see Debounced). "blurred" and "moved" are judged against a reference
picture learned once the camera has shown a normal picture for `reference_after_s`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from edge.health.hysteresis import Debounced
from edge.health.metrics import FrameMetrics, GreyImage, edge_agreement, edge_map, measure, shift_px

REASONS = ("frozen", "black", "saturated", "blurred", "moved")


@dataclass(frozen=True)
class TamperSettings:
    frozen_after_s: float = 30.0
    hold_s: float = 5.0
    clear_s: float = 5.0
    reference_after_s: float = 3.0
    black_mean: float = 20.0
    saturated_frac: float = 0.85
    blur_ratio: float = 0.15  # sharpness vs the reference's
    min_edge_frac: float = 0.004  # a lens covered by a hand or cloth shows almost no edges
    moved_shift_frac: float = 0.025  # of the picture width
    moved_agreement: float = 0.45  # share of the reference's edges still found


@dataclass
class _Reference:
    grey: GreyImage
    edges: npt.NDArray[np.bool_]
    metrics: FrameMetrics


@dataclass(frozen=True)
class TamperReport:
    active: tuple[str, ...]
    metrics: dict[str, float] = field(default_factory=dict)


class TamperDetector:
    def __init__(self, settings: TamperSettings | None = None) -> None:
        self.s = settings or TamperSettings()
        s = self.s
        self._checks = {
            "frozen": Debounced(s.frozen_after_s, s.clear_s),
            "black": Debounced(s.hold_s, s.clear_s),
            "saturated": Debounced(s.hold_s, s.clear_s),
            "blurred": Debounced(s.hold_s, s.clear_s),
            "moved": Debounced(s.hold_s, s.clear_s),
        }
        self._prev: GreyImage | None = None
        self._ref: _Reference | None = None
        self._normal_since_s: float | None = None

    @property
    def has_reference(self) -> bool:
        return self._ref is not None

    def reset_reference(self) -> None:
        """Learn the view again (after the integrator re-aimed the camera and redrew zones)."""
        self._ref = None
        self._normal_since_s = None
        self._checks["moved"].reset()
        self._checks["blurred"].reset()

    def reset_continuity(self) -> None:
        """A gap in the stream (reconnect): the next frame is not compared with the last."""
        self._prev = None

    def update(self, grey: GreyImage, t_s: float) -> TamperReport:
        m = measure(grey)
        obs = self._observe(grey, m)
        for name, debounced in self._checks.items():
            debounced.update(bool(obs.get(name, 0.0)), t_s)
        self._learn_reference(grey, m, obs, t_s)
        self._prev = grey
        active = tuple(n for n in REASONS if self._checks[n].active)
        return TamperReport(active, {k: round(v, 4) for k, v in obs.items() if k.startswith("m_")})

    def _observe(self, grey: GreyImage, m: FrameMetrics) -> dict[str, float]:
        s = self.s
        obs: dict[str, float] = {"m_mean": m.mean, "m_sharpness": m.sharpness,
                                 "m_edge_frac": m.edge_frac}
        obs["black"] = float(m.mean < s.black_mean and m.bright_frac < 0.01)
        obs["saturated"] = float(m.bright_frac > s.saturated_frac)
        if obs["black"] or obs["saturated"]:
            return obs  # a blank picture is that and nothing else (it is also "still")
        # A hung camera repeats one picture; its encoder still refreshes it (key frames),
        # so "frozen" is "almost no pixel changed", not "identical". A very still scene
        # through a low-bitrate encoder looks like this too, but only for a moment (under
        # 1 s on the empty-room stretches of the one-by-one clip); frozen_after_s is long.
        if self._prev is not None and self._prev.shape == grey.shape:
            diff = np.abs(grey.astype(np.int16) - self._prev.astype(np.int16))
            changed = float(np.count_nonzero(diff > 4)) / diff.size
            mean_diff = float(diff.mean())
            obs["frozen"] = float(changed < 5e-4 and mean_diff < 0.25)
            obs["m_changed_frac"] = changed
        ref = self._ref
        blurred = m.edge_frac < s.min_edge_frac
        if ref is not None:
            ratio = m.sharpness / max(ref.metrics.sharpness, 1e-6)
            obs["m_sharpness_ratio"] = ratio
            blurred = blurred or ratio < s.blur_ratio
        obs["blurred"] = float(blurred)
        if ref is not None and not blurred and ref.grey.shape == grey.shape:
            agreement = edge_agreement(ref.edges, edge_map(grey))
            shift, _response = shift_px(ref.grey, grey)
            obs["m_edge_agreement"] = agreement
            obs["m_shift_px"] = shift
            moved = shift >= s.moved_shift_frac * grey.shape[1] or agreement < s.moved_agreement
            obs["moved"] = float(moved)
        return obs

    def _learn_reference(
        self, grey: GreyImage, m: FrameMetrics, obs: dict[str, float], t_s: float
    ) -> None:
        if self._ref is not None:
            return
        normal = not any(obs.get(n, 0.0) for n in ("frozen", "black", "saturated", "blurred"))
        if not normal:
            self._normal_since_s = None
            return
        if self._normal_since_s is None:
            self._normal_since_s = t_s
        if t_s - self._normal_since_s >= self.s.reference_after_s:
            self._ref = _Reference(grey.copy(), edge_map(grey), m)
