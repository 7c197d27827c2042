"""`sitewarden check` and `sitewarden config schema`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from edge.cli.common import load_or_exit
from edge.config import SiteConfig

config_app = typer.Typer(help="Site configuration tools.", no_args_is_help=True)


def check(config: Path = typer.Argument(..., help="site YAML file")) -> None:
    """Validate a site file and print a short summary (exit 1 on any problem)."""
    typer.echo(summary(load_or_exit(config)))


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the site file."""
    typer.echo(json.dumps(SiteConfig.model_json_schema(), indent=2))


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
