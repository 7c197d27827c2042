"""`sitewarden detect`: run the detector on still images."""

from __future__ import annotations

from pathlib import Path

import typer


def detect(
    images: list[Path] = typer.Argument(..., help="image files"),
    model: Path = typer.Option(..., "--model", help="ONNX detector"),
    json_out: bool = typer.Option(False, "--json", help="one JSON line per image"),
    out: Path | None = typer.Option(None, "--out", help="folder for annotated images"),
) -> None:
    """Detect persons in images."""
    raise typer.Exit(2)  # TODO(models helper)
