"""Ingest: camera streams (RTSP over TCP, or files) → sampled frames and compressed packets."""

from edge.ingest.camera import CameraSource
from edge.ingest.reader import ReaderOptions, ReaderState, StreamReader
from edge.ingest.slot import LatestFrameSlot

__all__ = [
    "CameraSource",
    "LatestFrameSlot",
    "ReaderOptions",
    "ReaderState",
    "StreamReader",
]
