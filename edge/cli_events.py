"""`sitewarden events ...`: watch a site's events on the broker."""

from __future__ import annotations

import typer

app = typer.Typer(help="Watch events on the MQTT broker.", no_args_is_help=True)
