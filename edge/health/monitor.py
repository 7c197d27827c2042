"""A camera's health state: online / offline / tampered, with the transitions to report.

offline: no frame for `offline_after_s`. online: frames flow and no tamper reason is
active. tampered: frames flow but the picture cannot be trusted (see tamper.py). Every
state change is one HealthTransition, which the runtime turns into a camera event and the
retained per-camera status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from edge.health.tamper import TamperDetector, TamperReport, TamperSettings

HealthState = Literal["starting", "online", "offline", "tampered"]


@dataclass(frozen=True)
class HealthTransition:
    camera_id: str
    state: Literal["online", "offline", "tampered"]
    previous: HealthState
    t_wall_s: float
    detail: dict[str, Any] = field(default_factory=dict)


class CameraHealth:
    def __init__(
        self,
        camera_id: str,
        offline_after_s: float = 10.0,
        tamper: TamperSettings | None = None,
        tamper_enabled: bool = True,
        tamper_interval_s: float = 0.0,
    ) -> None:
        self.camera_id = camera_id
        self.offline_after_s = offline_after_s
        self.tamper = TamperDetector(tamper) if tamper_enabled else None
        self.state: HealthState = "starting"
        self.reasons: tuple[str, ...] = ()
        self.last_frame_wall_s: float | None = None
        self.last_report: TamperReport | None = None
        self.detail = ""
        self.tamper_interval_s = tamper_interval_s
        self._next_check_s = -float("inf")

    @property
    def observable(self) -> bool:
        """Whether the zones of this camera can be watched right now."""
        return self.state == "online"

    def tamper_due(self, t_wall_s: float) -> bool:
        """Whether the next frame at `t_wall_s` gets the picture checks (they cost a few ms,
        and once a second is plenty for conditions that must last seconds)."""
        return self.tamper is not None and t_wall_s >= self._next_check_s

    def on_frame(self, grey: Any, t_wall_s: float) -> HealthTransition | None:
        """An analysed frame arrived. `grey`: its small grey copy (edge.health.metrics), or
        None when tamper_due() said no check is due."""
        self.last_frame_wall_s = t_wall_s
        if self.tamper is not None and grey is not None and self.tamper_due(t_wall_s):
            self._next_check_s = t_wall_s + self.tamper_interval_s
            self.last_report = self.tamper.update(grey, t_wall_s)
        reasons = self.last_report.active if self.tamper and self.last_report else ()
        if reasons:
            if self.state != "tampered" or reasons != self.reasons:
                self.reasons = reasons
                return self._go("tampered", t_wall_s, self._tamper_detail())
            return None
        self.reasons = ()
        if self.state != "online":
            return self._go("online", t_wall_s, {})
        return None

    def tick(self, now_wall_s: float, since_wall_s: float) -> HealthTransition | None:
        """Called about once a second; `since_wall_s`: when ingest started (for a camera that
        never delivered a frame)."""
        last = self.last_frame_wall_s if self.last_frame_wall_s is not None else since_wall_s
        if self.state != "offline" and now_wall_s - last >= self.offline_after_s:
            if self.tamper is not None:
                self.tamper.reset_continuity()
            return self._go("offline", now_wall_s, {"no_frames_s": round(now_wall_s - last, 1),
                                                    "reason": self.detail or "no frames"})
        return None

    def _tamper_detail(self) -> dict[str, Any]:
        report = self.last_report
        return {
            "reason": self.reasons[0],
            "reasons": list(self.reasons),
            "metrics": dict(report.metrics) if report else {},
        }

    def _go(self, state: Literal["online", "offline", "tampered"], t: float,
            detail: dict[str, Any]) -> HealthTransition | None:
        previous = self.state
        self.state = state
        if previous == "starting" and state == "online":
            # The first picture of a healthy camera is reported too (retained status).
            detail = {"first": True}
        return HealthTransition(self.camera_id, state, previous, t, detail)
