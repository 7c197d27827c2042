from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

ASSET_MODELS = (
    "yolox_nano",
    "nanodet_m_416",
    "light_person_detector_192",
    "yolov8n_int8",
    "yolo11n_int8_320",
)


@pytest.fixture(scope="session")
def models_dir(assets: Path) -> Path:
    return assets / "models"


@pytest.fixture(scope="session")
def ground_truth(assets: Path) -> dict[str, list[list[float]]]:
    with (assets / "images" / "persons.json").open() as f:
        gt: dict[str, list[list[float]]] = json.load(f)
    return gt


@pytest.fixture(scope="session")
def coco_images(assets: Path, ground_truth: dict[str, list[list[float]]]) -> dict[str, np.ndarray]:
    images = {}
    for name in ground_truth:
        image = cv2.imread(str(assets / "images" / name))
        assert image is not None, name
        images[name] = image
    return images
