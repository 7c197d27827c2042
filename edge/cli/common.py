"""What every sub-command shares: loading the site file, failing clearly, the publisher."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

import typer

from edge.config import ConfigError, SiteConfig, load_config
from publisher.events import Event

if TYPE_CHECKING:  # the publisher pulls paho and SQLite: loaded only by the commands that use it
    from publisher.client import Publisher

# At exit, unacknowledged events stay in the outbox for the next start: wait only briefly.
PUBLISHER_FLUSH_S = 2.0


def fail(message: str) -> NoReturn:
    """Print `error: <message>` to stderr and exit 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def load_or_exit(path: Path) -> SiteConfig:
    """The validated site file, or every problem (key path, line, reason) and exit 1."""
    try:
        return load_config(path)
    except ConfigError as e:
        typer.echo(e.render(), err=True)
        raise typer.Exit(1) from None


def outbox_path(cfg: SiteConfig) -> Path:
    """`storage.outbox_path` (its own partition: a full evidence disk cannot touch it), else
    `mqtt.outbox.path`, else `<storage.directory>/outbox.db`."""
    if cfg.storage.outbox_path:
        return Path(cfg.storage.outbox_path)
    if cfg.mqtt is not None and cfg.mqtt.outbox.path:
        return Path(cfg.mqtt.outbox.path)
    return Path(cfg.storage.directory) / "outbox.db"


@contextmanager
def open_publisher(
    cfg: SiteConfig, on_health: Callable[[str, dict[str, Any]], None] | None = None
) -> Iterator[Publisher]:
    """The MQTT publisher of this box, started; flushed (briefly) and stopped at exit.
    `on_health` gets its outbox's state (a full disk degrades it; it keeps delivering)."""
    from publisher.client import Publisher
    from publisher.connection import SettingsError
    from publisher.outbox import OutboxError

    if cfg.mqtt is None:
        fail("this needs an `mqtt:` section in the site file")
    path = outbox_path(cfg)
    with contextlib.suppress(OSError):  # a full or read-only disk: the publisher says so
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        pub = Publisher(cfg.mqtt, cfg.site_id, cfg.box_id, path, on_health=on_health)
    except (OSError, ValueError, OutboxError, SettingsError) as e:
        fail(f"mqtt: cannot start the publisher: {e}")
    pub.start()
    try:
        yield pub
    finally:
        pub.flush(timeout_s=PUBLISHER_FLUSH_S)
        pub.stop(timeout_s=PUBLISHER_FLUSH_S)


@contextmanager
def jsonl_sink(path: Path, append: bool = False) -> Iterator[EventWriter]:
    """A thread-safe writer of one flushed JSON line per event."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = path.open("a" if append else "w", encoding="utf-8")
    except OSError as e:
        fail(f"{path}: cannot write ({e.strerror or e})")
    try:
        yield EventWriter(fh)
    finally:
        fh.close()


class EventWriter:
    def __init__(self, fh: IO[str]) -> None:
        self._fh = fh
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        line = json.dumps(event.to_wire(), ensure_ascii=False, sort_keys=True) + "\n"
        with self._lock:
            # One flushed line per event: a crash later loses nothing already written.
            self._fh.write(line)
            self._fh.flush()
