"""`sitewarden replay`: run one camera's pipeline over a recorded file."""

from __future__ import annotations

from pathlib import Path

import typer


def replay(config: Path = typer.Argument(..., help="site YAML file")) -> None:
    """Replay a recorded video through detection, tracking and zone rules."""
    raise typer.Exit(2)
