"""`sitewarden replay`: run one camera's pipeline over a recorded file."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import typer

from edge.config import ConfigError, SiteConfig, load_config
from edge.summary import summarize_violations

if TYPE_CHECKING:  # the pipeline imports onnxruntime and PyAV: only load them when replaying
    from edge.replay import EventSink, ReplayOptions, ReplayResult

log = logging.getLogger("sitewarden.replay")


def replay(
    config: Path = typer.Argument(..., help="site YAML file"),
    camera: str = typer.Option(..., "--camera", help="camera id whose zones apply"),
    source: Path | None = typer.Option(None, "--source", help="video file (default: camera url)"),
    events_out: Path | None = typer.Option(None, "--events-out", help="JSON lines file"),
    realtime: bool = typer.Option(False, "--realtime", help="pace frames at stream speed"),
    publish: bool = typer.Option(False, "--publish", help="also send events over MQTT"),
    verbose: bool = typer.Option(False, "--verbose", help="log per-frame counts"),
    summary: bool = typer.Option(False, "--summary", help="print a table of violations"),
    start_at: datetime | None = typer.Option(
        None, "--start-at", help="wall-clock time of the first frame (ISO 8601)",
        formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"],
    ),
    evidence: bool = typer.Option(True, "--evidence/--no-evidence", help="write snapshots/clips"),
) -> None:
    """Replay a recorded video through detection, tracking and zone rules."""
    from edge.replay import ReplayOptions

    cfg = _load(config)
    if camera not in {c.id for c in cfg.cameras}:
        known = ", ".join(c.id for c in cfg.cameras)
        _fail(f"--camera {camera!r}: not in {config} (cameras: {known})")
    url = cfg.camera(camera).url
    if source is None and "://" in url:
        _fail(f"camera {camera!r} is a live stream ({url.split('://')[0]}://); "
              "give a recording with --source FILE")
    src = source or Path(url)
    if start_at is not None and start_at.tzinfo is None:
        from edge.timezone import site_timezone

        start_at = start_at.replace(tzinfo=site_timezone(cfg.timezone))
    opts = ReplayOptions(
        camera_id=camera, source=src, start_at=start_at, realtime=realtime,
        progress=sys.stderr.isatty() and not verbose,
        on_frame=_log_frame if verbose else None,
    )
    if verbose:
        logging.getLogger().setLevel(logging.DEBUG)
    result = _run(cfg, opts, events_out, publish, evidence)
    log.info(
        "replayed %.1f s of %s in %.1f s: %d frames decoded, %d analysed, %d events",
        result.duration_s, src, result.elapsed_s, result.frames_decoded,
        result.frames_analysed, len(result.events),
    )
    if summary:
        typer.echo(summarize_violations(result.events))


def _run(
    cfg: SiteConfig, opts: ReplayOptions, events_out: Path | None, publish: bool, evidence: bool
) -> ReplayResult:
    from edge.components import open_detector, open_evidence, open_publisher
    from edge.replay import run_replay
    from edge.video.file_source import SourceError
    from models.errors import ModelError
    from publisher.connection import SettingsError
    from publisher.outbox import OutboxError

    with ExitStack() as stack:
        try:
            detector = open_detector(cfg)
        except ModelError as e:
            _fail(str(e))
        sinks: list[EventSink] = []
        if events_out is not None:
            sinks.append(stack.enter_context(_jsonl_sink(events_out)))
        if publish:
            if cfg.mqtt is None:
                _fail("--publish needs an `mqtt:` section in the site file")
            try:
                pub = stack.enter_context(open_publisher(cfg))
            except (OutboxError, SettingsError) as e:
                _fail(f"publisher: {e}")
            sinks.append(pub.publish_event)
        rec = stack.enter_context(open_evidence(cfg, opts.camera_id)) if evidence else None
        try:
            return run_replay(cfg, opts, detector, sinks, rec)
        except (SourceError, ModelError) as e:
            _fail(str(e))
        except OSError as e:  # e.g. the disk under --events-out filled up
            _fail(f"replay stopped: {e}; events written so far are kept")
    raise AssertionError("unreachable")


@contextmanager
def _jsonl_sink(path: Path) -> Iterator[EventSink]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh: IO[str] = path.open("w", encoding="utf-8")
    except OSError as e:
        _fail(f"--events-out {path}: cannot write ({e.strerror})")

    def write(event: dict[str, Any]) -> None:
        # One flushed line per event: a crash later loses nothing already written.
        fh.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
        fh.flush()

    try:
        yield write
    finally:
        fh.close()


def _log_frame(source_time_s: float, n_detections: int, n_tracks: int) -> None:
    log.debug("t=%.2fs detections=%d tracks=%d", source_time_s, n_detections, n_tracks)


def _load(path: Path) -> SiteConfig:
    try:
        return load_config(path)
    except ConfigError as e:
        typer.echo(e.render(), err=True)
        raise typer.Exit(1) from None


def _fail(message: str) -> Any:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)
