"""Errors raised by the detector package."""

from __future__ import annotations


class ModelError(Exception):
    """A model file is missing, unreadable, not ONNX, or not a detector layout we support.

    The message always names the file and says what was expected, so the CLI can print it as is.
    """


class FetchError(ModelError):
    """A model download failed or did not verify against the manifest."""
