"""`sitewarden models ...`: the model manifest and verified downloads."""

from __future__ import annotations

import typer

app = typer.Typer(help="Detector models: list and fetch.", no_args_is_help=True)
