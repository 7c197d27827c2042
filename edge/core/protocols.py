"""The seams of the analysis core: what it calls, typed once for every driver."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from edge.evidence.types import EvidenceReady
from models.types import Detections
from publisher.events import Event
from zones.spec import ZoneSpec
from zones.types import ViolationUpdate

EventSink = Callable[[Event], None]
"""Takes one event; must not block for long (the live runtime queues, replay writes)."""


class DetectorLike(Protocol):
    def detect(self, image_bgr: np.ndarray) -> Detections: ...
    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Detections]: ...


class EvidenceLike(Protocol):
    """A camera's evidence recorder (edge.evidence.EvidenceRecorder)."""

    def set_stream(self, stream: Any, source_offset_s: float = 0.0) -> None: ...
    def add_packet(self, packet: Any) -> None: ...
    def on_update(
        self, update: ViolationUpdate, frame_bgr: np.ndarray | None, source_time_s: float,
        wall_time: datetime,
    ) -> None: ...
    def poll(self, source_time_s: float) -> list[EvidenceReady]: ...
    def finish(self, timeout_s: float | None = None) -> list[EvidenceReady]: ...
    def set_zones(self, zones: Mapping[str, ZoneSpec]) -> None: ...
    def stop(self, timeout_s: float = 10.0) -> None: ...
