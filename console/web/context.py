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

ZoneLookup = Callable[[str, str], dict[str, Any] | None]
"""(camera_id, zone_id) -> the zone's configuration as the site file has it (kind, points,
thresholds, schedule), for the review page; the box provides it, None at a centre."""

EventOut = Callable[[Event], None]
"""Sends an event the console made (a decision, an overdue alarm) on to the platform: the
box hands it to its dispatcher (MQTT, the local store); None where nothing goes out."""


class EvidenceAccess(Protocol):
    """Finds a violation's evidence files (the box: its own disk; the centre: the object
    store). `url` is what the pages and the API hand out for one file of a violation;
    `open` reads one (the false-alarm export), None when it is not there."""

    def url(self, violation: Violation, name: str) -> str | None: ...
    def open(self, violation: Violation, name: str) -> bytes | None: ...


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
    zones: ZoneLookup | None = None
    # The box's own ids (None at a centre): cameras the box runs but the store has not
    # heard of yet are listed under them, and scoped users see them only for this site.
    site_id: str | None = None
    box_id: str | None = None
    title: str = "sitewarden"
    version: str = ""
    extra_routers: list[APIRouter] = field(default_factory=list)
    limiter: LoginRateLimiter = field(default_factory=LoginRateLimiter)
    metrics: Callable[[], tuple[bytes, str]] | None = None  # Prometheus text, content type

    @property
    def zone_editor(self) -> bool:
        """Whether the zone editor's routes are mounted (a box with a site file)."""
        return any(getattr(route, "path", None) == "/zones"
                   for router in self.extra_routers for route in router.routes)
