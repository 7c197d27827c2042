"""What the web app is given by whoever runs it (the box or the centre)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from console.auth import LoginRateLimiter
from console.settings import HttpConfig
from console.store import Store, Violation
from publisher.events import Event

EventOut = Callable[[Event], None]
"""Sends an event the console made (a decision, an overdue alarm) on to the platform: the
box hands it to its dispatcher (MQTT, the local store); None where nothing goes out."""


class EvidenceAccess(Protocol):
    """Finds a violation's evidence files (the box: its own disk; the centre: the object
    store). `url` is what the pages and the API hand out for one file of a violation."""

    def url(self, violation: Violation, name: str) -> str | None: ...


class LiveStatus(Protocol):
    """The running box's own view (cameras' fps, readers, parts' health); None at a centre."""

    def health(self) -> dict[str, Any]: ...
    def camera_stats(self) -> list[dict[str, Any]]: ...


@dataclass
class ConsoleContext:
    store: Store
    http: HttpConfig
    timezone: ZoneInfo
    emit: EventOut | None = None
    evidence: EvidenceAccess | None = None
    live: LiveStatus | None = None
    title: str = "sitewarden"
    version: str = ""
    extra_routers: list[APIRouter] = field(default_factory=list)
    limiter: LoginRateLimiter = field(default_factory=LoginRateLimiter)
    metrics: Callable[[], tuple[bytes, str]] | None = None  # Prometheus text, content type
