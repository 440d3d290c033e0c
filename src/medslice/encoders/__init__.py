"""Encoders: fast image loading, open_clip and transformers encoders, the in-domain CLIP (LiT).

Exports are loaded lazily, so ``from medslice.encoders.image_loading import ...`` does not pay for
importing open_clip and transformers.

- :func:`decode_grayscale`, :func:`iter_image_batches`, :func:`load_images`: DCT-scaled JPEG
  loading that skips unreadable files into a :class:`LoadReport`.
- :class:`ClipEncoder`: any open_clip model (built-in + tag/file, ``local-dir:``, cached
  ``hf-hub:``); :class:`TransformersTextEncoder`: mean-pooled HF sentence encoder.
- :func:`train_lit_clip`: the offline default, locked ImageNet EfficientNet-Lite0 + locked
  all-MiniLM-L6-v2 with trained projections, saved as a ``local-dir`` folder.
- :func:`evaluate_encoder`: retrieval recall@10 and linear-probe AUROC.
- :func:`embed_in_shards`: resumable Parquet shards tagged with the encoder identity and content.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "decode_grayscale": "image_loading",
    "iter_image_batches": "image_loading",
    "load_images": "image_loading",
    "ImageBatch": "image_loading",
    "ImagePathDataset": "image_loading",
    "LoadReport": "image_loading",
    "LoadFailure": "image_loading",
    "ClipEncoder": "clip_encoder",
    "TransformersTextEncoder": "text_encoder",
    "default_text_model_path": "text_encoder",
    "MissingModelError": "errors",
    "train_lit_clip": "lit_training",
    "lit_clip_model_cfg": "lit_clip",
    "lit_clip_preprocess_cfg": "lit_clip",
    "build_lit_clip": "lit_clip",
    "create_lite0_imagenet": "lite0",
    "load_lite0_imagenet_weights": "lite0",
    "save_open_clip_folder": "local_dir",
    "evaluate_encoder": "quality",
    "embed_in_shards": "sharded",
    "embeddings_to_arrow": "sharded",
    "embeddings_from_frame": "sharded",
    "identity_from_arrow": "sharded",
}

__all__ = list(_EXPORTS)  # noqa: PLE0605  (lazy exports, see __getattr__)


def __getattr__(name: str) -> Any:
    """Import the submodule that defines ``name`` on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
