"""Embed image files on a CPU with forked single-threaded workers that decode *and* embed.

Shared by :class:`~medslice.encoders.clip_encoder.ClipEncoder` and the LiT feature cache. See
:mod:`~medslice.encoders.batch_map` for why processes beat threads here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from medslice.encoders.batch_map import map_batches
from medslice.encoders.image_loading import ImagePathDataset, LoadFailure, LoadReport

# uint8 (B, 1, H, W) grayscale pixels -> float (B, D) features.
EmbedFn = Callable[[torch.Tensor], torch.Tensor]


def _batch_job(
    images: ImagePathDataset, batch_size: int, embed: EmbedFn
) -> Callable[[int], tuple[np.ndarray, np.ndarray | None, list[LoadFailure]]]:
    def job(batch: int) -> tuple[np.ndarray, np.ndarray | None, list[LoadFailure]]:
        stop = min(len(images), (batch + 1) * batch_size)
        items = [images[i] for i in range(batch * batch_size, stop)]
        failures = [
            LoadFailure(index=i, path=images.paths[i], reason=images.failure_reason(i))
            for _, i, ok in items
            if not ok
        ]
        decoded = [(pixels, i) for pixels, i, ok in items if ok]
        if not decoded:
            return np.zeros(0, np.int64), None, failures
        with torch.inference_mode():
            features = embed(torch.stack([p for p, _ in decoded])).float().numpy()
        return np.array([i for _, i in decoded], np.int64), features, failures

    return job


def embed_image_files(
    paths: Sequence[str | Path],
    size: int,
    embed: EmbedFn,
    *,
    batch_size: int = 64,
    num_workers: int = 0,
    progress: bool = True,
) -> tuple[np.ndarray, LoadReport]:
    """Embed image files on the CPU, ``num_workers`` forked processes each doing whole batches.

    Parameters
    ----------
    paths : Sequence[str | Path]
        Image files.
    size : int
        Decode size (shorter side, center crop), as in ``decode_grayscale``.
    embed : EmbedFn
        Maps ``uint8 (B, 1, size, size)`` pixels to ``(B, D)`` features; runs under
        ``torch.inference_mode`` (add autocast inside it if wanted).
    batch_size : int, default=64
        Images per job.
    num_workers : int, default=0
        Forked single-threaded processes; 0 runs here with torch's threads.
    progress : bool, default=True
        Show a tqdm bar.

    Returns
    -------
    tuple[np.ndarray, LoadReport]
        ``float32 (N, D)`` features in input order (NaN rows for unreadable files) and the
        :class:`LoadReport` naming those files.
    """
    images = ImagePathDataset(paths, size)
    report = LoadReport(n_requested=len(images))
    features: np.ndarray | None = None
    n_batches = (len(images) + batch_size - 1) // batch_size
    job = _batch_job(images, batch_size, embed)
    for indices, batch_features, failures in map_batches(
        job, n_batches, num_workers, desc="images", progress=progress
    ):
        report.failures.extend(failures)
        if batch_features is None:
            continue
        if features is None:
            features = np.full((len(images), batch_features.shape[1]), np.nan, np.float32)
        features[indices] = batch_features
    if features is None:
        features = np.full((len(images), 0), np.nan, np.float32)
    return features, report
