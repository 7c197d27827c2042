"""Camera health: online/offline from frame arrival, tamper alarms from picture content."""

from edge.health.metrics import FrameMetrics, measure, small_grey
from edge.health.monitor import CameraHealth, HealthTransition
from edge.health.tamper import TamperDetector, TamperSettings

__all__ = [
    "CameraHealth",
    "FrameMetrics",
    "HealthTransition",
    "TamperDetector",
    "TamperSettings",
    "measure",
    "small_grey",
]
