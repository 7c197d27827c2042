"""`sitewarden` command line. Each sub-command lives in its own module; this file wires them."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import typer

from edge import cli_detect, cli_events, cli_models, cli_replay, cli_run
from edge.config import ConfigError, SiteConfig, load_config

app = typer.Typer(
    name="sitewarden",
    help="Edge video analytics for industrial safety: danger zones, duty posts, seals.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
config_app = typer.Typer(help="Site configuration tools.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(cli_models.app, name="models")
app.add_typer(cli_events.app, name="events")
app.command("detect")(cli_detect.detect)
app.command("replay")(cli_replay.replay)
app.command("run")(cli_run.run)


@app.command("check")
def check(config: Path = typer.Argument(..., help="site YAML file")) -> None:
    """Validate a site file and print a short summary (exit 1 on any problem)."""
    cfg = load_or_exit(config)
    typer.echo(summary(cfg))


@config_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the site file."""
    typer.echo(json.dumps(SiteConfig.model_json_schema(), indent=2))


def load_or_exit(path: Path) -> SiteConfig:
    try:
        return load_config(path)
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


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
