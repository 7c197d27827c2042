"""Detector sessions that remember their answers, for tests that replay one clip often.

Replays are deterministic: the same clip gives the same analysed pictures, so tests that
replay it with different zones need detection once. The cache is per process, keyed by
the picture's bytes (a different decode or conversion is a different key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from edge.config import SiteConfig
from edge.core.detect import open_detectors
from models.types import Detections

_CACHE: dict[bytes, Detections] = {}


class CachedSession:
    def __init__(self, session: Any) -> None:
        self._session = session
        self.info = session.info

    def detect(self, image_bgr: np.ndarray) -> Detections:
        key = hashlib.blake2b(image_bgr.tobytes(), digest_size=16).digest()
        hit = _CACHE.get(key)
        if hit is None:
            hit = _CACHE[key] = self._session.detect(image_bgr)
        return hit

    def detect_batch(self, images: Sequence[np.ndarray]) -> list[Detections]:
        return [self.detect(im) for im in images]


def cached_sessions(cfg: SiteConfig) -> list[CachedSession]:
    sessions, _ = open_detectors(cfg)
    return [CachedSession(s) for s in sessions]
