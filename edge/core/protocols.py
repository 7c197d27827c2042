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

EventSink = Callable[[Event], object]
"""Takes one event. A sink that returns an Event hands that one on to the sinks after it
(the MQTT publisher returns the event numbered with its box sequence, so it goes first)."""


def through_sinks(event: Event, sinks: Sequence[EventSink]) -> Event:
    """Give `event` to every sink in order; returns the event as the last sink saw it."""
    for sink in sinks:
        out = sink(event)
        if isinstance(out, Event):
            event = out
    return event


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
