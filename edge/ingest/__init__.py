"""Ingest: camera streams (RTSP over TCP, or files) → sampled frames and compressed packets."""

from edge.ingest.camera import CameraSource
from edge.ingest.frames import Frame, LatestFrameSlot
from edge.ingest.reader import ReaderOptions, ReaderState, StreamReader

__all__ = [
    "CameraSource",
    "Frame",
    "LatestFrameSlot",
    "ReaderOptions",
    "ReaderState",
    "StreamReader",
]
