"""`sitewarden replay`: one camera's analysis core over a recorded file."""

from __future__ import annotations

import logging
import sys
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from edge.cli.common import fail, jsonl_sink, load_or_exit, open_publisher
from edge.cli.summary import summarize_violations
from edge.config import SiteConfig

if TYPE_CHECKING:  # the core imports onnxruntime and PyAV: only load them when replaying
    from edge.core.protocols import EventSink
    from edge.replay import ReplayOptions, ReplayResult

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

    cfg = load_or_exit(config)
    if camera not in {c.id for c in cfg.cameras}:
        known = ", ".join(c.id for c in cfg.cameras)
        fail(f"--camera {camera!r}: not in {config} (cameras: {known})")
    url = cfg.camera(camera).url
    if source is None and "://" in url:
        fail(f"camera {camera!r} is a live stream ({url.split('://')[0]}://); "
             "give a recording with --source FILE")
    src = source or Path(url)
    if start_at is not None and start_at.tzinfo is None:
        from edge.config.timezone import site_timezone

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
    from edge.core.detect import open_detectors
    from edge.evidence.build import recorder_for
    from edge.replay import SourceError, run_replay
    from models.errors import ModelError

    with ExitStack() as stack:
        t0 = time.monotonic()
        try:
            sessions, _ = open_detectors(cfg)
        except ModelError as e:
            fail(str(e))
        log.info("%d detector session(s) ready in %.2f s", len(sessions), time.monotonic() - t0)
        sinks: list[EventSink] = []
        if publish:  # first: it numbers the events the other sinks then see
            sinks.append(stack.enter_context(open_publisher(cfg)).publish_event)
        if events_out is not None:
            sinks.append(stack.enter_context(jsonl_sink(events_out)))
        rec = None
        if evidence and cfg.storage.evidence.enabled:
            rec = recorder_for(cfg, opts.camera_id)
            stack.callback(rec.stop)
        try:
            return run_replay(cfg, opts, sessions, sinks, rec)
        except (SourceError, ModelError) as e:
            fail(str(e))
        except OSError as e:  # e.g. the disk under --events-out filled up
            fail(f"replay stopped: {e}; events written so far are kept")


def _log_frame(source_time_s: float, n_detections: int, n_tracks: int) -> None:
    log.debug("t=%.2fs detections=%d tracks=%d", source_time_s, n_detections, n_tracks)
