"""`sitewarden events ...`: watch a site's events on the broker, print the event schema."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import typer

from edge.cli.common import fail, load_or_exit

# The MQTT client and the event schema are imported by the commands that use them: every
# sub-command's module is imported when `sitewarden` starts (`replay`, `run` too).

app = typer.Typer(help="Watch events on the MQTT broker.", no_args_is_help=True)


@app.command("tail")
def tail(
    config: Path = typer.Argument(..., help="site YAML file (its mqtt section is used)"),
    camera: str | None = typer.Option(None, "--camera", help="only this camera's events"),
    count: int | None = typer.Option(None, "--count", min=1, help="exit after N events"),
    timeout_s: float | None = typer.Option(
        None, "--timeout", min=0.1, help="exit after this many seconds"),
) -> None:
    """Subscribe to the site's events and print each as one JSON line (Ctrl-C to stop)."""
    from publisher.connection import SettingsError
    from publisher.tail import EventTail, TailError
    from publisher.topics import TopicError

    cfg = load_or_exit(config)
    if cfg.mqtt is None:
        fail(f"{config}: no mqtt section; nothing to subscribe to")
    mqtt_cfg = cfg.mqtt
    logging.getLogger("publisher").setLevel(logging.WARNING)

    def show(topic: str, event: Any) -> None:
        typer.echo(json.dumps(event, separators=(",", ":"), ensure_ascii=False))

    def subscribed(topic_filter: str) -> None:
        typer.echo(f"subscribed to {topic_filter} on {mqtt_cfg.host}:{mqtt_cfg.port}", err=True)

    try:
        t = EventTail(mqtt_cfg, cfg.site_id, cfg.box_id, show, camera_id=camera,
                      on_subscribed=subscribed)
        t.run(max_events=count, timeout_s=timeout_s)
    except (TailError, SettingsError, TopicError) as e:
        fail(f"events tail: {e}")


@app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the events (CloudEvents 1.0 JSON)."""
    from publisher.schema import event_json_schema

    typer.echo(json.dumps(event_json_schema(), indent=2))
