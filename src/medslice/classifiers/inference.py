"""Class-1 probabilities from a trained classifier."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from medslice.classifiers.tensors import check_images, to_model_input
from medslice.classifiers.training import resolve_device
from medslice.errors import BadValueError


def predict_proba(
    model: nn.Module,
    images: np.ndarray,
    *,
    batch_size: int = 64,
    device: str = "cpu",
    show_progress: bool = False,
) -> np.ndarray:
    """Probability of class 1 for each ``uint8 (N, H, W)`` image, as ``float64 (N,)``.

    The model is put in eval mode and runs on ``device`` (as ``train_classifier`` takes it); it is
    back on the CPU afterwards. No gradients are computed (``torch.inference_mode``).
    """
    images = check_images(images, "images")
    if batch_size < 1:
        raise BadValueError(f"batch_size must be >= 1, got {batch_size}")
    target_device = resolve_device(device)
    model.to(target_device).eval()
    pixels = torch.from_numpy(images)
    chunks: list[np.ndarray] = []
    starts = range(0, len(pixels), batch_size)
    try:
        with torch.inference_mode():
            for start in tqdm(starts, desc="predict", unit="batch", disable=not show_progress):
                logits = model(to_model_input(pixels[start : start + batch_size]).to(target_device))
                chunks.append(torch.softmax(logits.float(), dim=1)[:, 1].double().cpu().numpy())
    finally:
        model.to("cpu")
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float64)
