"""Person detector: an ONNX session, the model family's adapter, NMS, boxes in source pixels."""

from __future__ import annotations

import ast
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from models.adapters import Adapter, ModelSpec, select_adapter
from models.adapters.base import FloatArray
from models.errors import ModelError
from models.letterbox import Letterbox
from models.nms import nms
from models.providers import short_name
from models.session import open_session
from models.types import Detections

log = logging.getLogger(__name__)

INPUT_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16}
# A dynamic batch axis still has a memory cost per image; larger lists are split.
DYNAMIC_BATCH_CHUNK = 8
# Inputs of YOLO-family models must be multiples of their largest stride.
MAX_STRIDE = 32


@dataclass(frozen=True)
class DetectorInfo:
    name: str
    path: str
    adapter: str
    input_wh: tuple[int, int]
    providers: tuple[str, ...]  # short names actually in use, e.g. ("cuda", "cpu")
    batchable: bool
    max_batch: int | None  # None: dynamic batch axis; 1: no batching


def _batch_capacity(spec: ModelSpec) -> int | None:
    dim = spec.inputs[0].shape[0]
    return dim if isinstance(dim, int) else None


def _metadata_imgsz(spec: ModelSpec) -> tuple[int, int] | None:
    raw = spec.metadata.get("imgsz")
    try:
        value = ast.literal_eval(raw) if raw else None
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, list | tuple) and len(value) == 2:
        return int(value[1]), int(value[0])  # Ultralytics writes [h, w]
    return None


def _input_wh(spec: ModelSpec, input_size: tuple[int, int] | None) -> tuple[int, int]:
    h, w = spec.inputs[0].shape[2], spec.inputs[0].shape[3]
    if isinstance(h, int) and isinstance(w, int):
        if input_size is not None and tuple(input_size) != (w, h):
            raise ModelError(
                f"{spec.path}: the model's input is fixed at {w}x{h}; "
                f"input_size {input_size[0]}x{input_size[1]} cannot be used"
            )
        return w, h
    wh = tuple(input_size) if input_size is not None else _metadata_imgsz(spec)
    if wh is None:
        raise ModelError(
            f"{spec.path}: the model's input size is dynamic; set input_size (width, height)"
        )
    if wh[0] % MAX_STRIDE or wh[1] % MAX_STRIDE or min(wh) <= 0:
        raise ModelError(
            f"{spec.path}: input_size {wh[0]}x{wh[1]} must be positive multiples of {MAX_STRIDE}"
        )
    return int(wh[0]), int(wh[1])


def _check_input(spec: ModelSpec, input_type: str) -> None:
    if len(spec.inputs) != 1:
        names = ", ".join(i.describe() for i in spec.inputs)
        raise ModelError(f"{spec.path}: expected one image input, the model has {names}")
    shape = spec.inputs[0].shape
    if len(shape) != 4 or shape[1] != 3:
        raise ModelError(
            f"{spec.path}: input {spec.inputs[0].describe()} is not an NCHW image "
            "[batch,3,height,width]"
        )
    if input_type not in INPUT_DTYPES:
        raise ModelError(
            f"{spec.path}: input type {input_type} is not supported (expected float32 or float16)"
        )


def _check_image(image: np.ndarray) -> npt.NDArray[np.uint8]:
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 3:
        shape = getattr(image, "shape", None)
        raise ValueError(f"expected a BGR image of shape (H, W, 3), got {shape}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 BGR image, got dtype {image.dtype}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty: shape {image.shape}")
    return image


class Detector:
    """Finds persons in BGR images with one ONNX model. Safe to call from several threads."""

    def __init__(
        self,
        session: ort.InferenceSession,
        adapter: Adapter,
        info: DetectorInfo,
        score_threshold: float,
        nms_iou: float,
    ) -> None:
        self._session = session
        self._adapter = adapter
        self._info = info
        self._input_name = session.get_inputs()[0].name
        self._input_dtype = INPUT_DTYPES[session.get_inputs()[0].type]
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou

    @classmethod
    def open(
        cls,
        model_path: str | Path,
        adapter: str = "auto",
        score_threshold: float = 0.35,
        nms_iou: float = 0.45,
        input_size: tuple[int, int] | None = None,
        providers: list[str] | None = None,
        threads: int = 1,
    ) -> Detector:
        """Load a model; raises ModelError naming the file when it cannot be used."""
        if not 0 < score_threshold < 1 or not 0 < nms_iou <= 1:
            raise ValueError(
                f"score_threshold must be in (0, 1) and nms_iou in (0, 1], "
                f"got {score_threshold} and {nms_iou}"
            )
        path = Path(model_path)
        session, spec = open_session(path, providers, threads)
        _check_input(spec, session.get_inputs()[0].type)
        input_wh = _input_wh(spec, input_size)
        chosen = select_adapter(spec, input_wh, adapter)
        capacity = _batch_capacity(spec)
        info = DetectorInfo(
            name=path.stem,
            path=str(path),
            adapter=chosen.name,
            input_wh=input_wh,
            providers=tuple(short_name(p) for p in session.get_providers()),
            batchable=capacity is None or capacity > 1,
            max_batch=capacity,
        )
        log.info(
            "detector %s: adapter %s, input %dx%d, providers %s, batch %s",
            info.name,
            info.adapter,
            *input_wh,
            ",".join(info.providers),
            "dynamic" if capacity is None else capacity,
        )
        return cls(session, chosen, info, score_threshold, nms_iou)

    @property
    def info(self) -> DetectorInfo:
        return self._info

    def detect(self, image_bgr: np.ndarray) -> Detections:
        """Persons in one BGR uint8 image, boxes in its pixels, highest score first."""
        return self._detect_chunk([image_bgr])[0]

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Detections]:
        """Like detect() on each image; one session run per chunk when the model batches."""
        if not self._info.batchable:
            return [self.detect(im) for im in images]
        chunk = self._info.max_batch or DYNAMIC_BATCH_CHUNK
        results: list[Detections] = []
        for start in range(0, len(images), chunk):
            results.extend(self._detect_chunk(images[start : start + chunk]))
        return results

    def _detect_chunk(self, images: Sequence[np.ndarray]) -> list[Detections]:
        prepared = [self._adapter.preprocess(_check_image(im)) for im in images]
        batch = np.stack([blob for blob, _ in prepared])
        fixed = self._info.max_batch
        if fixed is not None and batch.shape[0] < fixed:
            # A fixed batch axis needs exactly `fixed` images; the padding rows are ignored.
            pad = np.zeros((fixed - batch.shape[0], *batch.shape[1:]), batch.dtype)
            batch = np.concatenate([batch, pad])
        outputs = self.infer(batch)
        return [self._finish([o[i] for o in outputs], lb) for i, (_, lb) in enumerate(prepared)]

    def preprocess(self, image_bgr: np.ndarray) -> FloatArray:
        """The (3, H, W) model input for one image (for benchmarks and debugging)."""
        return self._adapter.preprocess(_check_image(image_bgr))[0]

    def infer(self, batch_nchw: FloatArray) -> list[np.ndarray]:
        """Raw session outputs for a pre-processed batch (used by benchmarks)."""
        feed = {self._input_name: batch_nchw.astype(self._input_dtype, copy=False)}
        try:
            outputs = self._session.run(None, feed)
        except Exception as e:  # ORT's own exception types
            raise ModelError(f"{self._info.path}: inference failed: {e}") from e
        return [np.asarray(o) for o in outputs]

    def _finish(self, outputs: list[np.ndarray], lb: Letterbox) -> Detections:
        cands = self._adapter.decode(outputs, self.score_threshold)
        if len(cands.scores) == 0:
            return Detections.empty()
        keep = nms(cands.boxes_xyxy, cands.scores, self.nms_iou)
        boxes = lb.to_source(cands.boxes_xyxy[keep])
        scores = cands.scores[keep]
        # A box that lies wholly in the padding collapses to zero area when clipped.
        visible = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
        return Detections(
            np.ascontiguousarray(boxes[visible], np.float32),
            np.ascontiguousarray(scores[visible], np.float32),
        )
