"""`sitewarden check` and `sitewarden config schema`: site files and console files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from edge.cli.common import load_or_exit
from edge.config import ConfigError, SiteConfig
from edge.config.loader import file_kind, load_console_config

if TYPE_CHECKING:  # the console file's model brings SQLAlchemy: not for `run` or `replay`
    from console.centre.config import ConsoleConfig

config_app = typer.Typer(help="Site and console configuration tools.", no_args_is_help=True)


def check(
    config: Path = typer.Argument(..., help="site YAML file, or a centre's console file"),
    console: bool = typer.Option(False, "--console",
                                 help="check it as a console file whatever it looks like"),
) -> None:
    """Validate a site file or a console file (told apart by their keys) and print a short
    summary (exit 1 on any problem)."""
    if console or file_kind(config) == "console":
        typer.echo(console_summary(load_console_or_exit(config)))
    else:
        typer.echo(summary(load_or_exit(config)))


@config_app.command("schema")
def schema(
    console: bool = typer.Option(False, "--console", help="the console file's schema"),
) -> None:
    """Print the JSON Schema of the site file (or, with --console, of the console file)."""
    from console.centre.config import ConsoleConfig

    model = ConsoleConfig if console else SiteConfig
    typer.echo(json.dumps(model.model_json_schema(), indent=2))


def load_console_or_exit(path: Path) -> ConsoleConfig:
    """The validated console file, or every problem (key path, line, reason) and exit 1."""
    try:
        return load_console_config(path)
    except ConfigError as e:
        typer.echo(e.render(), err=True)
        raise typer.Exit(1) from None


def summary(cfg: SiteConfig) -> str:
    lines = [
        f"site {cfg.site_id} / box {cfg.box_id} (timezone {cfg.timezone or 'local'})",
        f"detector: {cfg.detector.model}",
        f"cameras: {len(cfg.cameras)}",
    ]
    for cam in cfg.cameras:
        zs = cfg.zones_of(cam.id)
        kinds = ", ".join(f"{z.id} ({z.kind})" for z in zs) or "no zones"
        lines.append(f"  {cam.id} @ {cam.analysis_fps:g} fps: {kinds}")
    lines.append(f"mqtt: {cfg.mqtt.host}:{cfg.mqtt.port}" if cfg.mqtt else "mqtt: off")
    lines.append(f"storage: {cfg.storage.directory}")
    lines.append(f"http: port {cfg.http.port}" if cfg.http and cfg.http.enabled else "http: off")
    lines.append("OK")
    return "\n".join(lines)


def console_summary(cfg: ConsoleConfig) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(cfg.database.url).render_as_string(hide_password=True)
    lines = [f"console {cfg.title!r} (timezone {cfg.timezone})", f"database: {url}"]
    m = cfg.mqtt
    if m is None:
        lines.append("mqtt: off (no ingest)")
    else:
        tls = "TLS" if m.tls is not None and m.tls.enabled else "no TLS"
        lines += [
            f"mqtt: {m.host}:{m.port} ({tls}) as {m.resolved_client_id()}, "
            f"share group {m.share_group}",
            f"  events: $share/{m.share_group}/{m.topic_prefix}/+/+/events/#",
            f"  status: {m.topic_prefix}/+/+/status, {m.topic_prefix}/+/+/cameras/+/status",
        ]
    http = cfg.http
    lines.append(f"http: {http.host}:{http.port}" if http.enabled else "http: off")
    ev = cfg.evidence
    lines.append(f"evidence: bucket {ev.bucket} at {ev.endpoint_url or 'AWS S3'}" if ev
                 else "evidence: off")
    lines.append("OK")
    return "\n".join(lines)
