"""Tiny image sets where the class is visible: positives carry a bright square."""

from __future__ import annotations

import numpy as np
import pytest
import torch


def square_images(n: int, size: int = 32, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``uint8 (n, size, size)`` noise images; class-1 images get a bright square at a random place."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 110, (n, size, size), dtype=np.uint8)
    labels = np.arange(n) % 2
    side = size // 4
    for index in np.flatnonzero(labels):
        top, left = rng.integers(0, size - side, 2)
        images[index, top : top + side, left : left + side] += 120
    return images, labels


@pytest.fixture(scope="session")
def square_data() -> dict[str, np.ndarray]:
    """96 training, 32 validation and 64 test images of 32 px."""
    train_x, train_y = square_images(96, seed=0)
    val_x, val_y = square_images(32, seed=1)
    test_x, test_y = square_images(64, seed=2)
    return {
        "train_x": train_x,
        "train_y": train_y,
        "val_x": val_x,
        "val_y": val_y,
        "test_x": test_x,
        "test_y": test_y,
    }


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Tiny models run fastest on one thread, and a shared machine punishes spinning thread pools."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
