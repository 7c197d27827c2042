"""Site configuration: one strictly validated YAML file per edge box."""

from edge.config.camera import CameraConfig
from edge.config.loader import ConfigError, load_config, parse_config
from edge.config.mqtt import MqttConfig
from edge.config.site import DetectorConfig, HttpConfig, SiteConfig
from edge.config.storage import EvidenceConfig, StorageConfig

__all__ = [
    "CameraConfig",
    "ConfigError",
    "DetectorConfig",
    "EvidenceConfig",
    "HttpConfig",
    "MqttConfig",
    "SiteConfig",
    "StorageConfig",
    "load_config",
    "parse_config",
]
