"""Turning uint8 image arrays into model inputs, with validation that names the argument."""

from __future__ import annotations

import numpy as np
import torch

from medslice.errors import BadTypeError, BadValueError


def check_images(images: np.ndarray, name: str) -> np.ndarray:
    """Require a ``uint8 (N, H, W)`` array; returns it as a contiguous array."""
    if not isinstance(images, np.ndarray):
        raise BadTypeError(f"{name} must be a numpy array, got {type(images).__name__}")
    if images.ndim != 3:
        raise BadValueError(f"{name} must have shape (N, H, W), got {images.shape}")
    if images.dtype != np.uint8:
        raise BadValueError(f"{name} must be uint8 (0-255 grayscale), got {images.dtype}")
    return np.ascontiguousarray(images)


def check_targets(targets: np.ndarray, n: int, name: str) -> np.ndarray:
    """Require ``n`` binary targets; returns them as ``int64``."""
    values = np.asarray(targets)
    if values.shape != (n,):
        raise BadValueError(f"{name} must have shape ({n},) to match the images, got {values.shape}")
    if not np.isin(values, (0, 1)).all():
        raise BadValueError(f"{name} must hold only 0 and 1, got {sorted(set(values.tolist()))[:5]}")
    return values.astype(np.int64)


def to_model_input(batch: torch.Tensor) -> torch.Tensor:
    """``uint8 (B, H, W)`` -> ``float32 (B, 1, H, W)`` in [0, 1], what every classifier takes."""
    return batch.to(torch.float32).div_(255.0).unsqueeze(1)
