"""`sitewarden detect`: run the detector on still images."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import typer

from edge.cli.common import fail
from models.errors import ModelError
from models.types import Detections

BOX_COLOUR_BGR = (0, 200, 255)


def detect(
    images: list[Path] = typer.Argument(..., help="image files"),
    model: Path = typer.Option(..., "--model", help="ONNX detector"),
    json_out: bool = typer.Option(False, "--json", help="one JSON line per image"),
    out: Path | None = typer.Option(None, "--out", help="folder for annotated images"),
    score_threshold: float = typer.Option(
        0.35, "--score-threshold", min=0.01, max=0.99, help="minimum person score"
    ),
    adapter: str = typer.Option("auto", "--adapter", help="auto, yolox, ultralytics, nanodet"),
    threads: int = typer.Option(1, "--threads", min=1, max=64, help="inference threads"),
) -> None:
    """Detect persons in images. Unreadable images are reported and skipped (exit code 1)."""
    from models.detector import Detector  # onnxruntime: loaded by this command only
    try:
        detector = Detector.open(
            model, adapter=adapter, score_threshold=score_threshold, threads=threads
        )
    except ModelError as e:
        fail(str(e))
    if out is not None:
        _make_dir(out)
    failed = False
    used_names: set[str] = set()
    for path in images:
        image = _read(path)
        if image is None:
            failed = True
            continue
        try:
            dets = detector.detect(image)
        except ModelError as e:
            fail(str(e))
        typer.echo(_json_line(path, dets) if json_out else _text_line(path, dets))
        if out is not None and not _write_annotated(image, dets, _out_path(out, path, used_names)):
            failed = True
    if failed:
        raise typer.Exit(1)


def _make_dir(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        fail(f"cannot create output folder {out}: {e.strerror or e}")


def _read(path: Path) -> np.ndarray | None:
    if not path.is_file():
        typer.echo(f"error: {path}: no such image file", err=True)
        return None
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        typer.echo(f"error: {path}: not a readable image (JPEG, PNG, BMP, ...)", err=True)
    return image


def _json_line(path: Path, dets: Detections) -> str:
    items = [
        {"box_xyxy_px": [round(float(v), 1) for v in box], "score": round(float(score), 3)}
        for box, score in zip(dets.boxes_xyxy_px, dets.scores, strict=True)
    ]
    return json.dumps({"image": str(path), "detections": items})


def _text_line(path: Path, dets: Detections) -> str:
    parts = [
        f"[{b[0]:.0f},{b[1]:.0f},{b[2]:.0f},{b[3]:.0f}] {s:.2f}"
        for b, s in zip(dets.boxes_xyxy_px, dets.scores, strict=True)
    ]
    return f"{path}: {len(dets)} person(s)" + (": " + "; ".join(parts) if parts else "")


def _out_path(out: Path, image_path: Path, used: set[str]) -> Path:
    # Images from different folders may share a name; never overwrite one with another.
    stem, n = image_path.stem, 1
    name = f"{stem}.jpg"
    while name in used:
        n += 1
        name = f"{stem}-{n}.jpg"
    used.add(name)
    return out / name


def _write_annotated(image: np.ndarray, dets: Detections, target: Path) -> bool:
    canvas = image.copy()
    thickness = max(1, round(min(image.shape[:2]) / 300))
    for box, score in zip(dets.boxes_xyxy_px, dets.scores, strict=True):
        x1, y1, x2, y2 = (round(float(v)) for v in box)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), BOX_COLOUR_BGR, thickness)
        cv2.putText(
            canvas,
            f"{score:.2f}",
            (x1, max(12, y1 - 4)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.4 * thickness,
            BOX_COLOUR_BGR,
            thickness,
            cv2.LINE_AA,
        )
    if not cv2.imwrite(str(target), canvas):
        typer.echo(f"error: cannot write annotated image {target}", err=True)
        return False
    return True
