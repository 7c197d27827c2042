"""One camera's analysis after detection: tracking → zone rules → events.

Pure bookkeeping over frames (no threads, no I/O); `CameraCore` (camera.py) wraps it with
evidence and emission. All timing uses the frame's own time (`wall_t_s`, mapped from
stream time), never the time of processing.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.config import SiteConfig
from edge.config.timezone import site_timezone
from edge.core.events import EventBuilder
from edge.core.metric import calibration_of, on_the_floor, plausible, zone_specs
from edge.core.tracking import PersonTracker
from models.types import Detections
from publisher.events import Event
from zones.engine import CameraRules
from zones.types import Track, ViolationUpdate


@dataclass(frozen=True)
class FrameResult:
    tracks: list[Track]
    updates: list[ViolationUpdate]
    events: list[Event]


def exclusions_of(cfg: SiteConfig, camera_id: str) -> list[list[tuple[float, float]]]:
    return [list(m.points) for m in cfg.camera(camera_id).exclusions]


class CameraAnalysis:
    def __init__(self, cfg: SiteConfig, camera_id: str) -> None:
        cam = cfg.camera(camera_id)
        self.camera_id = camera_id
        self.tz = site_timezone(cfg.timezone)
        self.tracker = PersonTracker(cam.analysis_fps)
        self.calibration = calibration_of(cfg, camera_id)
        self.height_range_m = cam.calibration.person_height_m if cam.calibration else None
        self.rules = CameraRules(
            camera_id, zone_specs(cfg, camera_id), exclusions_of(cfg, camera_id), self.tz.key
        )
        self.state = self.rules.initial_state()
        self.events = EventBuilder(
            cfg.site_id, cfg.box_id, self.tz, {z.id: z.label for z in cfg.zones_of(camera_id)}
        )
        self.offset_s = 0.0  # wall_t_s - source_time_s of the newest frame
        self.last_wall_t_s: float | None = None
        self._tracks: list[Track] = []
        self._last_match_t: dict[int, float] = {}  # track id → wall time of its last match
        self._matched: set[int] = set()  # ids the last detection continued

    def process(
        self,
        detections: Detections | None,
        resolution_wh: tuple[int, int],
        source_time_s: float,
        wall_t_s: float,
        observable: bool = True,
    ) -> FrameResult:
        """`detections` None: the frame was not detected (motion gating saw nothing move),
        so the people are where they were: the rules see the last tracks at the new time,
        and the tracker is not stepped (a still person neither coasts out nor drifts).
        Tracks that were already coasting (missed by the last detection: the person left)
        still end max_coast_s after their last match."""
        self.offset_s = wall_t_s - source_time_s
        self.last_wall_t_s = wall_t_s
        if detections is not None:
            if self.calibration is not None and self.height_range_m is not None:
                detections = plausible(detections, resolution_wh, self.calibration,
                                       self.height_range_m)
            self._tracks = self.tracker.update(detections, resolution_wh)
            if self.calibration is not None:
                self._tracks = on_the_floor(self._tracks, self.calibration)
            seen = {t.track_id for t in self._tracks}
            self._last_match_t = {k: v for k, v in self._last_match_t.items() if k in seen}
            self._last_match_t.update(dict.fromkeys(self.tracker.matched_ids, wall_t_s))
            self._matched = set(self.tracker.matched_ids)
            tracks = self._tracks
        else:
            # A track the last detection did not continue is coasting (the person left): it
            # ends max_coast_s after its last match, by the clock, as it would with
            # detection on every frame. Tracks it did continue stay: nothing moved.
            coast_s = self.tracker.settings.max_coast_s
            tracks = [t for t in self._tracks if t.track_id in self._matched
                      or wall_t_s - self._last_match_t.get(t.track_id, wall_t_s) <= coast_s]
        self.state, updates = self.rules.step(self.state, tracks, wall_t_s, observable=observable)
        return self._result(tracks, updates)

    def evidence_ready(self, violation_id: str, evidence: dict[str, object]) -> Event | None:
        return self.events.evidence_ready(violation_id, evidence, self._now_t_s(), self.offset_s)

    def close_all(self, reason: str = "stream_end") -> FrameResult:
        """End every open violation at the newest frame's time (end of a recording)."""
        self.state, updates = self.rules.close_all(self.state, self._now_t_s(), reason)
        return self._result([], updates)

    def reconfigure(self, cfg: SiteConfig) -> FrameResult:
        """Swap in edited zones; open violations of removed or changed zones end."""
        # The editor saves masks and calibration too: both apply from the next frame.
        cam = cfg.camera(self.camera_id)
        self.calibration = calibration_of(cfg, self.camera_id)
        self.height_range_m = cam.calibration.person_height_m if cam.calibration else None
        self.rules, self.state, updates = CameraRules.reconfigure(
            self.rules, self.state, zone_specs(cfg, self.camera_id), self._now_t_s(),
            exclusions_norm=exclusions_of(cfg, self.camera_id),
        )
        self.events.zone_labels = {z.id: z.label for z in cfg.zones_of(self.camera_id)}
        return self._result([], updates)

    def members(self, tracks: list[Track]) -> dict[str, tuple[int, ...]]:
        """Which tracks each area zone counts now (the editor's live view)."""
        return self.rules.members(tracks)

    def _now_t_s(self) -> float:
        return self.last_wall_t_s if self.last_wall_t_s is not None else 0.0

    def _result(self, tracks: list[Track], updates: tuple[ViolationUpdate, ...] | list[
            ViolationUpdate]) -> FrameResult:
        events = [self.events.violation(u, self.offset_s) for u in updates]
        return FrameResult(tracks, list(updates), events)
