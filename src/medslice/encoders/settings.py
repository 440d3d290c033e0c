"""The ``embedding`` parameter block as typed settings (defaults here, and nowhere else)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from medslice.typed_settings import Settings


@dataclass(frozen=True)
class EncoderSettings(Settings):
    """``embedding.encoder``: train the in-domain CLIP, or name a model to use as it is.

    Attributes
    ----------
    train : bool
        Train the LiT-style in-domain CLIP (locked EfficientNet-Lite0 and MiniLM towers).
    model : str or None
        The open_clip model to use when ``train`` is false (``hf-hub:...`` or ``local-dir:...``).
    pretrained : str or None
        open_clip's ``pretrained`` tag for ``model``, if it needs one.
    max_pairs : int or None
        At most this many (image, report) training pairs, sampled with the seed; all when None.
    training : dict[str, Any]
        Keyword arguments of :func:`medslice.encoders.train_lit_clip` (epochs, batch size, ...).
    """

    WHERE = "embedding.encoder"

    train: bool = True
    model: str | None = None
    pretrained: str | None = None
    max_pairs: int | None = None
    training: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EmbeddingSettings(Settings):
    """``embedding``: one shared space for images, reports and metadata sentences.

    Attributes
    ----------
    encoder : EncoderSettings
        The CLIP-style encoder.
    report_sections : tuple[str, ...]
        The report sections the report embedding reads.
    report_encoder : dict[str, Any] or None
        ``{kind: clip}`` (the shared text tower) or ``{kind: transformers, model_path: ...}``.
    metadata_encoder : dict[str, Any] or None
        As ``report_encoder``, for the metadata sentences.
    shard_size : int
        Images per resumable embedding shard.
    cache_locked_features : bool
        Keep the locked towers' outputs, so training and embedding compute them once
        (only for the in-domain CLIP, whose towers are locked).
    num_workers : int
        Worker processes that decode images and run the locked towers.
    """

    WHERE = "embedding"

    encoder: EncoderSettings = EncoderSettings()
    report_sections: tuple[str, ...] = ("report_findings", "report_impression")
    report_encoder: dict[str, Any] | None = None
    metadata_encoder: dict[str, Any] | None = None
    shard_size: int = 4096
    cache_locked_features: bool = True
    num_workers: int = 0
