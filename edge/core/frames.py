"""A sampled picture on its way to analysis, and the one conversion that makes it.

Live cameras and recorded files both decode with FFmpeg and hand each sampled frame to
`analysis_frame()`. The colour picture for the detector is made on first use (`image_bgr`):
one swscale conversion, with area averaging, straight to the size the detector letterboxes
to. A frame the motion gate skips never pays for it: the gate and the tamper checks look at
a small grey copy taken from the decoder's luma plane (`Frame.grey`). So `replay`, the
editor's preview and the live runtime give the detector the same pixels for the same
decoded picture.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from av.video.reformatter import VideoReformatter

from edge.health.metrics import ANALYSIS_WIDTH_PX as GREY_WIDTH_PX
from edge.health.metrics import small_grey

# Pixel formats whose first plane is the luma (Y) of the picture.
_LUMA_FIRST = ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12",
               "nv21", "yuv420p10le")
_FULL_RANGE = ("yuvj420p", "yuvj422p", "yuvj444p")


@dataclass(frozen=True)
class Frame:
    """One decoded, sampled picture of one camera.

    `image` is the analysis picture when the frame was made from an array (tests); frames
    from a decoder keep `decoded` and convert it on first use of `image_bgr`. `fit_wh` is
    the detector's input size (the conversion's target). `source_time_s`: seconds since the
    source started (a camera's ingest, a file's first frame), from stream timestamps.
    `wall_time_s`: the same instant as a UNIX time. `seq`: increasing per camera.
    """

    camera_id: str
    seq: int
    image: npt.NDArray[np.uint8] | None
    source_time_s: float
    wall_time_s: float
    received_mono_s: float  # time.monotonic() when decoded, for latency and age
    resolution_wh: tuple[int, int]  # of the stream, before any downscale for analysis
    decoded: Any = None  # av.VideoFrame; None for frames made from arrays (tests)
    evidence_max_width_px: int = 960
    fit_wh: tuple[int, int] | None = None

    @property
    def analysis_wh(self) -> tuple[int, int]:
        """The size of `image_bgr`, known without converting."""
        if self.image is not None or self.decoded is None:
            h, w = self.image_bgr.shape[:2]
            return w, h
        return analysis_size_wh(self.resolution_wh, self.fit_wh, self.evidence_max_width_px)

    @cached_property
    def image_bgr(self) -> npt.NDArray[np.uint8]:
        """The picture at the detector's size (converted once, on first use)."""
        if self.image is not None:
            return self.image
        out_w, out_h = self.analysis_wh
        # Area averaging: one resampling from the stream straight to the detector's size,
        # without aliasing (same size: a colour conversion only).
        return to_bgr(self.decoded, out_w, out_h)

    def grey(self, width_px: int = GREY_WIDTH_PX) -> npt.NDArray[np.uint8]:
        """A small grey copy for the motion gate and the tamper checks: from the decoder's
        luma plane when there is one (no colour conversion), else from `image_bgr`."""
        luma = _luma(self.decoded) if self.image is None and "image_bgr" not in \
            self.__dict__ else None
        if luma is None:
            return small_grey(self.image_bgr, width_px)
        return small_grey(luma, width_px)

    def evidence_bgr(self) -> npt.NDArray[np.uint8]:
        """The picture for snapshots: the decoded frame at most `evidence_max_width_px` wide
        (converted now, only for the few frames that carry a violation update)."""
        if self.decoded is None:
            return self.image_bgr
        w, h = self.resolution_wh
        if w <= self.analysis_wh[0]:
            return self.image_bgr
        if w <= self.evidence_max_width_px:
            return to_bgr(self.decoded, w, h)
        out_w = self.evidence_max_width_px
        return to_bgr(self.decoded, out_w, round(h * out_w / w / 2) * 2)


_local = threading.local()


def to_bgr(decoded: Any, width: int, height: int) -> npt.NDArray[np.uint8]:
    """A decoded frame as BGR at (width, height), area-averaged, through this thread's
    swscale context. `VideoFrame.reformat` sets up a new context for every frame: 3.6 ms
    from 768x432 to 416 px and 5.3 ms from 1080p, against 0.5 and 1.0 ms with one context
    kept per thread (reused while sizes and formats stay the same; same pixels)."""
    reformatter = getattr(_local, "reformatter", None)
    if reformatter is None:
        reformatter = _local.reformatter = VideoReformatter()
    out = reformatter.reformat(decoded, width, height, "bgr24", interpolation="AREA")
    return np.asarray(out.to_ndarray(), dtype=np.uint8)


def _luma(decoded: Any) -> npt.NDArray[np.uint8] | None:
    """The decoder's Y plane as a grey picture (full range), without a copy where possible."""
    if decoded is None or decoded.format.name not in _LUMA_FIRST or \
            decoded.format.name.endswith("10le"):
        return None
    plane = decoded.planes[0]
    y = np.frombuffer(plane, np.uint8).reshape(decoded.height, plane.line_size)
    y = y[:, : decoded.width]
    if decoded.format.name in _FULL_RANGE:
        return y
    # TV range (16-235): stretched so that black and white read as a BGR picture's grey
    # does (the tamper checks' thresholds are in that scale).
    return np.asarray(cv2.convertScaleAbs(y, alpha=255 / 219, beta=-16 * 255 / 219),
                      dtype=np.uint8)


def analysis_size_wh(
    resolution_wh: tuple[int, int], fit_wh: tuple[int, int] | None, max_width_px: int
) -> tuple[int, int]:
    """The largest size (even, never upscaled) that fits both the detector's input and
    `max_width_px`, keeping the aspect ratio."""
    w, h = resolution_wh
    scale = min(1.0, max_width_px / w)
    if fit_wh is not None:
        scale = min(scale, fit_wh[0] / w, fit_wh[1] / h)
    if scale >= 1.0:
        return w, h
    return max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2)


def analysis_frame(
    decoded: Any,
    camera_id: str,
    seq: int,
    source_time_s: float,
    wall_time_s: float,
    fit_wh: tuple[int, int] | None,
    max_width_px: int,
) -> Frame:
    """A decoded picture (av.VideoFrame) for analysis; converted when first needed."""
    return Frame(camera_id=camera_id, seq=seq, image=None, source_time_s=source_time_s,
                 wall_time_s=wall_time_s, received_mono_s=time.monotonic(),
                 resolution_wh=(decoded.width, decoded.height), decoded=decoded,
                 evidence_max_width_px=max_width_px, fit_wh=fit_wh)
