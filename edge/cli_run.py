"""`sitewarden run`: the live runtime over every configured camera."""

from __future__ import annotations

from pathlib import Path

import typer


def run(config: Path = typer.Argument(..., help="site YAML file")) -> None:
    """Run every camera until SIGTERM/SIGINT."""
    raise typer.Exit(2)  # TODO(runtime helper)
