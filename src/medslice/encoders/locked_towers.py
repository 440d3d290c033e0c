"""Pooled outputs of locked towers, one item at a time, through a :class:`FeatureStore`.

Training the in-domain CLIP (LiT) and embedding the cohort both run the same locked towers: the
ImageNet EfficientNet-Lite0 trunk and the all-MiniLM-L6-v2 transformer. Their outputs for one item
depend, in the last bits, on the batch the item was computed in (measured: up to 1.2e-5 between
batches of 64 and of 7). Computing every item on its own makes a stored feature exactly what any
later call would compute, whichever node or run stored it, so caching changes no result. On a CPU
the items are also computed single-threaded wherever they run (a worker process or this one), as the
thread count can change the last bits too. On two CPU cores a lone image or text costs no more than
its share of a batch (11 ms against 13.5 ms per image for the trunk, single-threaded).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from medslice.encoders.batch_map import map_batches
from medslice.encoders.devices import autocast_to, torch_threads
from medslice.encoders.feature_store import FeatureStore
from medslice.encoders.fingerprints import FINGERPRINTS_FILE, MISSING, UNREADABLE, FileFingerprints
from medslice.encoders.hashing import sha256_state_dict
from medslice.encoders.image_features import EmbedFn, embed_image_files
from medslice.encoders.image_loading import LoadFailure, LoadReport

# Bump when decode_grayscale changes what pixels a file gives: stored trunk features then go stale.
DECODER_VERSION = "decode_grayscale/1"
IMAGE_STORE_KIND = "image-trunk"
TEXT_STORE_KIND = "text-pooled"


def _precision_name(dtype: torch.dtype | None) -> str:
    return "fp32" if dtype is None else str(dtype).removeprefix("torch.")


def image_trunk_identity(
    trunk: nn.Module,
    image_size: int,
    mean: Sequence[float],
    std: Sequence[float],
    device: torch.device,
    autocast_dtype: torch.dtype | None,
) -> dict[str, Any]:
    """What a locked image trunk's pooled output depends on besides the image file."""
    return {
        "tower": type(trunk).__name__,
        "weights_sha256": sha256_state_dict(trunk),
        "image_size": int(image_size),
        "mean": [float(v) for v in mean],
        "std": [float(v) for v in std],
        "device": device.type,
        "precision": _precision_name(autocast_dtype),
        "decoder": DECODER_VERSION,
    }


def text_tower_identity(
    text_tower: nn.Module, device: torch.device, autocast_dtype: torch.dtype | None
) -> dict[str, Any]:
    """What a locked HF text tower's pooled output depends on besides the token ids."""
    return {
        "tower": type(text_tower.transformer).__name__,
        "weights_sha256": sha256_state_dict(text_tower.transformer),
        "pooler": type(text_tower.pooler).__name__,
        "pad_token_id": int(text_tower.config.pad_token_id),
        "device": device.type,
        "precision": _precision_name(autocast_dtype),
    }


def image_key(path: str | Path, fingerprints: FileFingerprints | None = None) -> str:
    """A store key naming an image file's content: the digest of its bytes.

    A repaired, regenerated or replaced file gets a new key, so its stale features are never served,
    even when its size and modification time are unchanged; a moved or copied file keeps its features.
    ``fingerprints`` remembers the digests between runs, so an unchanged file costs a ``stat``.
    A file that cannot be read gets a key naming its path (its NaN row is never stored).
    """
    return _content_key(path, (fingerprints or FileFingerprints(None)).identity(path))


def _content_key(path: str | Path, content: str) -> str:
    return f"{path}|{content}" if content in {MISSING, UNREADABLE} else content


def token_key(tokens: torch.Tensor) -> str:
    """A store key for one text: the sha256 of its token ids (so the tokenizer is part of the key)."""
    ids = tokens.detach().to("cpu", torch.int64).contiguous().numpy()
    return hashlib.sha256(ids.tobytes()).hexdigest()


def per_image_trunk(
    trunk: nn.Module,
    mean: torch.Tensor,
    std: torch.Tensor,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
) -> EmbedFn:
    """``uint8 (B, 1, H, W)`` -> pooled trunk features ``(B, C)``, each image in a batch of its own."""

    def embed(pixels: torch.Tensor) -> torch.Tensor:
        outputs = []
        with torch_threads(1 if device.type == "cpu" else torch.get_num_threads()):
            for one in pixels.split(1):
                images = one.to(device).float().div_(255.0).expand(-1, 3, -1, -1)
                with autocast_to(device, autocast_dtype):
                    outputs.append(trunk((images - mean) / std).float().cpu())
        return torch.cat(outputs)

    return embed


def stored_trunk_features(
    store: FeatureStore,
    paths: Sequence[str | Path],
    image_size: int,
    embed: EmbedFn,
    *,
    batch_size: int = 64,
    num_workers: int = 0,
    progress: bool = True,
) -> tuple[np.ndarray, LoadReport]:
    """Trunk features of ``paths``: stored rows read, the rest decoded, embedded and stored.

    ``embed`` must compute each image on its own (:func:`per_image_trunk`). Returns ``float32 (N, C)``
    with NaN rows for unreadable files, and the :class:`LoadReport` naming them.
    """
    paths = [str(path) for path in paths]
    report = LoadReport(n_requested=len(paths))

    def compute(rows: list[int]) -> np.ndarray:
        features, computed = embed_image_files(
            [paths[row] for row in rows],
            image_size,
            embed,
            batch_size=batch_size,
            num_workers=num_workers,
            progress=progress,
        )
        report.failures.extend(
            LoadFailure(index=rows[failure.index], path=failure.path, reason=failure.reason)
            for failure in computed.failures
        )
        return features

    fingerprints = FileFingerprints(store.root / FINGERPRINTS_FILE)
    keys = [_content_key(p, c) for p, c in zip(paths, fingerprints.identities(paths), strict=True)]
    fingerprints.save()
    features = store.get_or_compute(keys, compute)
    return features, report


def pooled_text(text_tower: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """The HF text tower's pooled output before its projection (as ``HFTextEncoder.forward``)."""
    mask = (tokens != text_tower.config.pad_token_id).long()
    return text_tower.pooler(text_tower.transformer(input_ids=tokens, attention_mask=mask), mask)


def trimmed_rows(tokens: torch.Tensor, pad_id: int) -> list[torch.Tensor]:
    """Each row of padded ``(N, L)`` token ids cut after its last non-padding token, as ``(1, l)``."""
    rows = []
    for row in tokens:
        used = (row != pad_id).nonzero()
        length = int(used.max()) + 1 if used.numel() else 1
        rows.append(row[:length].unsqueeze(0))
    return rows


def stored_pooled_texts(
    store: FeatureStore,
    token_rows: Sequence[torch.Tensor],
    text_tower: nn.Module,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    *,
    batch_size: int = 64,
    num_workers: int = 0,
    progress: bool = True,
) -> np.ndarray:
    """Pooled outputs of the locked text tower for trimmed token rows, each text computed on its own.

    Stored rows are read; the others are computed in ``num_workers`` forked single-threaded
    processes (``batch_size`` texts per job) and stored. Returns ``float32 (N, H)``.
    """
    text_tower.eval()

    def compute(rows: list[int]) -> np.ndarray:
        jobs = [rows[start : start + batch_size] for start in range(0, len(rows), batch_size)]

        def job(number: int) -> np.ndarray:
            outputs = []
            threads = 1 if device.type == "cpu" else torch.get_num_threads()
            with torch.inference_mode(), torch_threads(threads):
                for row in jobs[number]:
                    with autocast_to(device, autocast_dtype):
                        outputs.append(pooled_text(text_tower, token_rows[row].to(device)).float().cpu())
            return torch.cat(outputs).numpy()

        workers = num_workers if device.type == "cpu" else 0
        chunks = list(map_batches(job, len(jobs), workers, desc="text features", progress=progress))
        return np.concatenate(chunks) if chunks else np.zeros((0, 0), np.float32)

    return store.get_or_compute([token_key(row) for row in token_rows], compute)


def project_rows(projection: Callable[[torch.Tensor], torch.Tensor], features: np.ndarray) -> torch.Tensor:
    """A tower's projection applied to each row on its own, so a row's result ignores its neighbours.

    NaN rows (unreadable images) stay NaN.
    """
    matrix = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    with torch.inference_mode(), torch_threads(1):
        return torch.cat([projection(row) for row in matrix.split(1)]) if len(matrix) else matrix
