"""`sitewarden models ...`: the model manifest and verified downloads."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer

from models.errors import ModelError
from models.manifest import MODEL_DIR_ENV, default_model_dir, get_entry, load_manifest

app = typer.Typer(help="Detector models: list and fetch.", no_args_is_help=True)


@app.command("list")
def list_models(
    json_out: bool = typer.Option(False, "--json", help="one JSON object per model"),
) -> None:
    """Known models with their adapter, input size, size and licence."""
    entries = list(load_manifest().values())
    if json_out:
        for e in entries:
            typer.echo(json.dumps(asdict(e)))
        return
    typer.echo(f"{'NAME':<28}{'ADAPTER':<13}{'INPUT':<9}{'MB':>6}  LICENCE")
    for e in entries:
        wh = f"{e.input_wh[0]}x{e.input_wh[1]}"
        typer.echo(f"{e.name:<28}{e.adapter:<13}{wh:<9}{e.bytes / 1e6:>6.1f}  {e.licence}")


@app.command("fetch")
def fetch(
    names: list[str] = typer.Argument(..., help="model name(s) from `sitewarden models list`"),
    dest_dir: Path | None = typer.Option(
        None, "--dir", help=f"target folder (default ${MODEL_DIR_ENV} or ~/.local/share/...)"
    ),
    url_base: str | None = typer.Option(
        None, "--url-base", help="mirror: fetch <URL>/<file name> instead of the manifest URL"
    ),
) -> None:
    """Download models and verify their sha256; a file already verified is kept."""
    from models.fetch import fetch_model  # with its HTTP client: only for this command

    target = dest_dir if dest_dir is not None else default_model_dir()
    failed = False
    for name in names:
        try:
            result = fetch_model(get_entry(name), target, url_base=url_base)
        except ModelError as e:
            typer.echo(f"error: {e}", err=True)
            failed = True
            continue
        state = "downloaded" if result.downloaded else "already present, verified"
        typer.echo(f"{name}: {result.path} ({state})")
    if failed:
        raise typer.Exit(1)


@app.command("batchable")
def batchable(
    src: Path = typer.Argument(..., help="an ONNX detector whose batch is fixed at 1"),
    dst: Path = typer.Argument(..., help="where to write the copy with a dynamic batch axis"),
) -> None:
    """Make the batch axis dynamic (checked: a batch gives what single calls give), so the
    runtime detects several cameras' frames in one call (detector.sessions: 0)."""
    from models.batching import make_batch_dynamic

    try:
        n = make_batch_dynamic(src, dst)
    except ModelError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{dst}: batch axis dynamic ({n} reshape target(s) rewritten), verified")
