"""Tamper detection and camera health on real footage with tampering applied to it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.health import CameraHealth, TamperDetector, TamperSettings, small_grey
from edge.health.hysteresis import Debounced

FPS = 5.0
SETTINGS = TamperSettings(frozen_after_s=3, hold_s=2, clear_s=2, reference_after_s=1)
Image = np.ndarray


def _frames(path: Path, every: int, limit: int) -> list[Image]:
    cap = cv2.VideoCapture(str(path))
    out: list[Image] = []
    i = 0
    while len(out) < limit:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            out.append(frame)
        i += 1
    cap.release()
    return out


@pytest.fixture(scope="module")
def scene(assets: Path) -> list[Image]:
    """60 s of the vtest scene at 5 fps (people walking, a static camera)."""
    return _frames(assets / "video" / "vtest_480x360.mp4", every=2, limit=300)


@pytest.fixture(scope="module")
def indoor(assets: Path) -> list[Image]:
    """The one-by-one clip: people walk up close to the camera (large changes, no tamper)."""
    return _frames(assets / "video" / "one-by-one-person-detection.mp4", every=2, limit=600)


def _run(det: TamperDetector, frames: list[Image], t0: float = 0.0) -> list[tuple[str, ...]]:
    return [det.update(small_grey(f), t0 + i / FPS).active for i, f in enumerate(frames)]


@pytest.mark.parametrize("clip", ["scene", "indoor"])
def test_normal_footage_raises_nothing(clip: str, request: pytest.FixtureRequest) -> None:
    frames = request.getfixturevalue(clip)
    det = TamperDetector(SETTINGS)
    active = _run(det, frames)
    assert det.has_reference
    assert not any(active), {a for a in active if a}


def _shift(f: Image) -> Image:
    h, w = f.shape[:2]
    m = np.array([[1, 0, 0.08 * w], [0, 1, 0.05 * h]], np.float32)
    return np.asarray(cv2.warpAffine(f, m, (w, h), borderMode=cv2.BORDER_REFLECT))


def _zoom(f: Image) -> Image:
    h, w = f.shape[:2]
    return cv2.resize(f[h // 6 :, w // 5 :], (w, h))


TAMPERS: dict[str, tuple[str, Callable[[Image], Image]]] = {
    "black": ("black", lambda f: (f * 0.03).astype(np.uint8)),
    "saturated": ("saturated", lambda f: np.full_like(f, 255)),
    "blurred": ("blurred", lambda f: cv2.GaussianBlur(f, (31, 31), 0)),
    "covered": ("blurred", lambda f: np.full_like(f, 90) + (f // 40)),
    "moved": ("moved", _shift),
    "re-aimed": ("moved", _zoom),
}


@pytest.mark.parametrize("case", sorted(TAMPERS))
def test_tampering_is_detected_held_and_cleared(case: str, scene: list[Image]) -> None:
    reason, tamper = TAMPERS[case]
    det = TamperDetector(SETTINGS)
    _run(det, scene[:50])  # learns the reference
    assert det.has_reference
    tampered = [tamper(f) for f in scene[50:100]]
    active = _run(det, tampered, t0=10.0)
    assert reason in active[-1]
    # Not at once: it must hold for hold_s (2 s = 10 frames) first.
    assert reason not in active[3]
    # Back to normal: cleared after clear_s, and nothing else remains.
    after = _run(det, scene[100:150], t0=20.0)
    assert after[-1] == ()


def test_frozen_picture(scene: list[Image]) -> None:
    det = TamperDetector(SETTINGS)
    _run(det, scene[:20])
    frozen = [scene[20]] * 30  # 6 s of the same decoded picture
    active = _run(det, frozen, t0=4.0)
    assert "frozen" not in active[5]
    assert "frozen" in active[-1]


def test_debounce_does_not_flap() -> None:
    d = Debounced(raise_after_s=2, clear_after_s=3)
    seq = [(True, 0.0), (False, 1.0), (True, 1.5), (True, 3.0), (True, 3.6)]
    states = [d.update(obs, t) for obs, t in seq]
    assert states == [False, False, False, False, True]
    assert d.update(False, 4.0) is True  # a single good frame does not clear it
    assert d.update(True, 5.0) is True
    assert d.update(False, 6.0) is True
    assert d.update(False, 9.1) is False


def test_camera_health_transitions(scene: list[Image]) -> None:
    h = CameraHealth("cam", offline_after_s=5, tamper=SETTINGS)
    assert h.tick(now_wall_s=3.0, since_wall_s=0.0) is None
    t = h.tick(now_wall_s=5.5, since_wall_s=0.0)  # never delivered a frame
    assert t is not None and t.state == "offline" and t.previous == "starting"
    assert not h.observable
    t = h.on_frame(small_grey(scene[0]), 6.0)
    assert t is not None and t.state == "online" and h.observable
    for i, f in enumerate(scene[1:40]):
        assert h.on_frame(small_grey(f), 6.2 + i / FPS) is None
    transitions = [h.on_frame(small_grey(np.full_like(f, 255)), 20 + i / FPS)
                   for i, f in enumerate(scene[40:60])]
    raised = [t for t in transitions if t is not None]
    assert len(raised) == 1 and raised[0].state == "tampered"
    assert raised[0].detail["reason"] == "saturated" and not h.observable
    t = h.tick(now_wall_s=40.0, since_wall_s=0.0)
    assert t is not None and t.state == "offline" and t.previous == "tampered"
