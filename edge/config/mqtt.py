"""MQTT section. The models live in `publisher.settings` (the publisher must not import the
runtime); they are re-exported here so config code keeps one import path."""

from __future__ import annotations

from publisher.settings import MqttConfig, OutboxConfig, SnapshotDeliveryConfig, TlsConfig

__all__ = ["MqttConfig", "OutboxConfig", "SnapshotDeliveryConfig", "TlsConfig"]
