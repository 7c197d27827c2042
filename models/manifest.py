"""The packaged table of known detector models (manifest.json beside this file)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from models.errors import ModelError

MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class ModelEntry:
    name: str
    file: str  # file name to store it under
    url: str
    sha256: str
    bytes: int
    adapter: str
    input_wh: tuple[int, int]
    licence: str
    upstream: str = ""
    notes: str = ""

    @staticmethod
    def from_dict(raw: dict[str, Any]) -> ModelEntry:
        return ModelEntry(
            name=str(raw["name"]),
            file=str(raw["file"]),
            url=str(raw["url"]),
            sha256=str(raw["sha256"]).lower(),
            bytes=int(raw["bytes"]),
            adapter=str(raw["adapter"]),
            input_wh=(int(raw["input_wh"][0]), int(raw["input_wh"][1])),
            licence=str(raw["licence"]),
            upstream=str(raw.get("upstream", "")),
            notes=str(raw.get("notes", "")),
        )


@cache
def load_manifest() -> dict[str, ModelEntry]:
    """Known models by name, in manifest order."""
    text = resources.files("models").joinpath(MANIFEST_FILE).read_text(encoding="utf-8")
    entries = [ModelEntry.from_dict(m) for m in json.loads(text)["models"]]
    return {e.name: e for e in entries}


def get_entry(name: str) -> ModelEntry:
    manifest = load_manifest()
    try:
        return manifest[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; known models: {', '.join(manifest)}") from None


MODEL_DIR_ENV = "SITEWARDEN_MODEL_DIR"


def default_model_dir() -> Path:
    """`$SITEWARDEN_MODEL_DIR`, else ~/.local/share/sitewarden/models."""
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "sitewarden" / "models"
