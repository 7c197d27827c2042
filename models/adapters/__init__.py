"""Model families the detector understands, and automatic choice among them."""

from __future__ import annotations

from models.adapters.base import Adapter, ModelSpec, TensorSpec
from models.adapters.nanodet import NanoDetAdapter
from models.adapters.ultralytics import UltralyticsAdapter
from models.adapters.yolox import YoloxAdapter
from models.errors import ModelError

ADAPTERS: dict[str, type[Adapter]] = {
    a.name: a for a in (YoloxAdapter, UltralyticsAdapter, NanoDetAdapter)
}
EXPECTED = (
    "a person detector with a YOLOX output [1,N,5+classes], an Ultralytics YOLOv8/YOLO11 "
    "detect output [1,4+classes,N], or NanoDet cls_pred_stride_*/dis_pred_stride_* outputs"
)

__all__ = ["ADAPTERS", "Adapter", "ModelSpec", "TensorSpec", "select_adapter"]


def _auto_order(spec: ModelSpec) -> list[str]:
    # Ultralytics exports say who made them; trust that before guessing from shapes.
    if spec.metadata.get("author", "").lower() == "ultralytics" or "imgsz" in spec.metadata:
        return ["ultralytics", "yolox", "nanodet"]
    return ["yolox", "ultralytics", "nanodet"]


def select_adapter(spec: ModelSpec, input_wh: tuple[int, int], requested: str = "auto") -> Adapter:
    """The adapter for this model: the requested one (checked), or the first that fits."""
    if requested != "auto":
        if requested not in ADAPTERS:
            raise ModelError(
                f"{spec.path}: unknown adapter {requested!r}; choose auto, {', '.join(ADAPTERS)}"
            )
        reason = ADAPTERS[requested].mismatch(spec, input_wh)
        if reason is not None:
            raise ModelError(
                f"{spec.path}: outputs {spec.describe_outputs()} do not fit adapter "
                f"{requested!r}: {reason}"
            )
        return ADAPTERS[requested](spec, input_wh)
    for name in _auto_order(spec):
        if ADAPTERS[name].mismatch(spec, input_wh) is None:
            return ADAPTERS[name](spec, input_wh)
    raise ModelError(
        f"{spec.path}: unsupported model outputs {spec.describe_outputs()} "
        f"(input {input_wh[0]}x{input_wh[1]}); expected {EXPECTED}"
    )
