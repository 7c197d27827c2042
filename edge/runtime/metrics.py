"""Prometheus exposition of the runtime's per-camera stats (read at scrape time)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4"

_COUNTERS = {
    "frames_in": ("camera_frames_decoded", "Frames decoded from the detection stream"),
    "frames_analysed": ("camera_frames_analysed", "Frames that went through the rules"),
    "frames_inferred": ("camera_frames_inferred", "Frames that went through the detector"),
    "motion_skipped": ("camera_motion_skipped", "Frames whose detection was skipped (no motion)"),
    "drops": ("camera_frames_dropped", "Sampled frames replaced before analysis"),
    "decode_errors": ("camera_decode_errors", "Packets the decoder rejected"),
    "reconnects": ("camera_reconnects", "Stream sessions that failed or ended"),
    "analysis_errors": ("camera_analysis_errors", "Frames whose analysis raised"),
}
_GAUGES = {
    "fps_in": ("camera_fps_in", "Decoded frames per second (10 s window)"),
    "fps_analysed": ("camera_fps_analysed", "Analysed frames per second (10 s window)"),
    "last_frame_age_s": ("camera_last_frame_age_seconds", "Seconds since the last frame"),
    "inference_ms": ("camera_inference_ms", "Detector time per frame (moving average)"),
    "latency_ms": ("camera_analysis_latency_ms", "Decode to rules done (moving average)"),
}
STATES = ("starting", "online", "offline", "tampered")


class RuntimeCollector(Collector):
    def __init__(self, cameras: Callable[[], list[dict[str, Any]]]) -> None:
        self._cameras = cameras

    def collect(self) -> Iterator[Any]:
        cams = self._cameras()
        for key, (name, doc) in _COUNTERS.items():
            c = CounterMetricFamily(f"sitewarden_{name}", doc, labels=["camera"])
            for cam in cams:
                c.add_metric([cam["camera_id"]], float(cam.get(key) or 0))
            yield c
        for key, (name, doc) in _GAUGES.items():
            g = GaugeMetricFamily(f"sitewarden_{name}", doc, labels=["camera"])
            for cam in cams:
                if cam.get(key) is not None:
                    g.add_metric([cam["camera_id"]], float(cam[key]))
            yield g
        st = GaugeMetricFamily("sitewarden_camera_state", "1 for the camera's current state",
                               labels=["camera", "state"])
        for cam in cams:
            for s in STATES:
                st.add_metric([cam["camera_id"], s], 1.0 if cam["state"] == s else 0.0)
        yield st


def make_registry(cameras: Callable[[], list[dict[str, Any]]]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RuntimeCollector(cameras))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
