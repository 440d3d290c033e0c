"""An open_clip image/text encoder that streams images and never touches the network."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from medslice.encoders.batch_map import map_batches
from medslice.encoders.clip_sources import LOCAL_DIR_PREFIX, ClipSource, resolve_clip_source
from medslice.encoders.devices import inference_autocast_dtype, inference_context, pick_device
from medslice.encoders.feature_store import FeatureStore
from medslice.encoders.hashing import sha256_file, sha256_state_dict
from medslice.encoders.image_features import embed_image_files
from medslice.encoders.image_loading import LoadReport, iter_image_batches
from medslice.encoders.locked_towers import (
    IMAGE_STORE_KIND,
    TEXT_STORE_KIND,
    image_trunk_identity,
    per_image_trunk,
    project_rows,
    stored_pooled_texts,
    stored_trunk_features,
    text_tower_identity,
    trimmed_rows,
)
from medslice.encoders.text_batching import distinct_texts, length_batches, validated_texts
from medslice.errors import BadValueError

logger = logging.getLogger(__name__)

_DEFAULT_CONTEXT_LENGTH = 77
_PREPROCESS_KEYS = ("size", "mode", "mean", "std", "interpolation", "resize_mode", "fill_color")


def _build_model(source: ClipSource, device: torch.device, image_size: int | None) -> nn.Module:
    import open_clip

    kwargs: dict[str, Any] = {"device": device, "force_image_size": image_size}
    if source.text_cfg_override is not None:
        text_cfg = dict(source.text_cfg_override)
        # With full CLIP weights, the HF tower needs only its config; its weights come from them.
        text_cfg["hf_model_pretrained"] = source.weights_file is None
        kwargs["text_cfg"] = text_cfg
    if source.kind == "local-dir":
        return open_clip.create_model(f"{LOCAL_DIR_PREFIX}{source.folder}", **kwargs)
    tag_cfg = source.pretrained_tag_cfg or {}
    if tag_cfg:
        kwargs["force_quick_gelu"] = bool(tag_cfg.get("quick_gelu", False))
        kwargs["force_preprocess_cfg"] = {k: tag_cfg[k] for k in _PREPROCESS_KEYS if k in tag_cfg}
    if source.weights_file is None:
        logger.warning("open_clip model %s has no pretrained weights: random init", source.name)
    pretrained = str(source.weights_file) if source.weights_file is not None else None
    return open_clip.create_model(source.name, pretrained=pretrained, **kwargs)


def _build_tokenizer(source: ClipSource) -> Any:
    import open_clip
    from open_clip.tokenizer import HFTokenizer

    text_cfg = (source.model_cfg or {}).get("text_cfg", {})
    if source.tokenizer_source is not None:
        return HFTokenizer(
            str(source.tokenizer_source),
            context_length=text_cfg.get("context_length", _DEFAULT_CONTEXT_LENGTH),
            tokenizer_mode=text_cfg.get("tokenizer_mode"),
            **text_cfg.get("tokenizer_kwargs", {}),
        )
    name = f"{LOCAL_DIR_PREFIX}{source.folder}" if source.kind == "local-dir" else source.name
    return open_clip.get_tokenizer(name)


def _square_size(size: int | Sequence[int]) -> int:
    if isinstance(size, int):
        return size
    height, width = size
    if height != width:
        raise BadValueError(f"Only square image inputs are supported, the model wants {size}")
    return int(height)


class ClipEncoder:
    """Embed chest X-ray images and texts into one shared space with an open_clip model.

    Parameters
    ----------
    model : str
        A built-in open_clip architecture name, ``local-dir:/path`` (a folder with
        ``open_clip_config.json`` and ``open_clip_model.safetensors``) or ``hf-hub:org/name``
        (its files must already be in the Hugging Face cache).
    pretrained : str or None, default=None
        For built-in names only: a pretrained tag whose weights are cached, or a
        local ``.bin``/``.pt``/``.safetensors`` file; None gives random weights.
    batch_size : int, default=64
        Images or texts per forward pass.
    device : str or None, default=None
        ``"cuda"``, ``"mps"``, ``"cpu"``...; None picks CUDA, then MPS, then CPU.
    image_size : int or None, default=None
        Override of the model's input size (pixels).
    feature_cache : str or Path or None, default=None
        Folder of locked-tower feature stores, shared with
        ``train_lit_clip(feature_cache=...)``. When set, the pooled outputs of a timm image
        trunk and of an HF text tower are read from it (the missing ones computed, one image or
        text at a time, and added) and only the projections run here. Every item is then
        computed on its own, so a result never depends on the other items of the call. Meant
        for towers that stay locked while their projections are trained (the in-domain CLIP);
        towers of other kinds are run as usual.

    Raises
    ------
    MissingModelError
        Within a second when the model or its weights are not on this machine,
        naming what was looked for and the ``embedding.encoder.*`` key to set.

    Notes
    -----
    The model is loaded when the encoder is constructed. Fitted-style attributes: ``model_``,
    ``tokenizer_``, ``device_``, ``image_size_``, ``source_``.
    """

    def __init__(
        self,
        model: str,
        pretrained: str | None = None,
        batch_size: int = 64,
        device: str | None = None,
        image_size: int | None = None,
        feature_cache: str | Path | None = None,
    ) -> None:
        self.model = model
        self.pretrained = pretrained
        self.batch_size = batch_size
        self.device = device
        self.image_size = image_size
        self.feature_cache = feature_cache
        if not isinstance(batch_size, int) or batch_size < 1:
            raise BadValueError(f"`batch_size` must be a positive integer, got {batch_size!r}")
        if image_size is not None and (not isinstance(image_size, int) or image_size < 8):
            raise BadValueError(f"`image_size` must be None or an integer >= 8, got {image_size!r}")
        self.source_ = resolve_clip_source(model, pretrained)
        self.device_ = pick_device(device)
        self.model_ = _build_model(self.source_, self.device_, image_size).eval()
        self.tokenizer_ = _build_tokenizer(self.source_)
        preprocess = self.model_.visual.preprocess_cfg
        self.image_size_ = _square_size(preprocess["size"])
        self._mean = torch.tensor(preprocess["mean"], device=self.device_).view(1, 3, 1, 1)
        self._std = torch.tensor(preprocess["std"], device=self.device_).view(1, 3, 1, 1)
        self._identity: dict[str, Any] | None = None
        self._stores: dict[str, FeatureStore | None] = {}

    @property
    def embed_dim(self) -> int:
        """Dimension of the shared embedding space."""
        return int(self.source_.model_cfg["embed_dim"])

    @property
    def identity(self) -> dict[str, Any]:
        """Provenance: model name, weights sha256 (file, or state dict for random weights), size."""
        if self._identity is None:
            weights = self.source_.weights_file
            name = self.model
            if self.source_.kind == "local-dir" and name.startswith(LOCAL_DIR_PREFIX):
                # The folder's location changes between versions/machines; its content does not.
                name = f"{LOCAL_DIR_PREFIX}{Path(name[len(LOCAL_DIR_PREFIX) :]).name}"
            self._identity = {
                "encoder": "open_clip",
                "model": name,
                "pretrained": self.pretrained if self.source_.kind == "builtin" else None,
                "weights_sha256": sha256_file(weights)
                if weights is not None
                else sha256_state_dict(self.model_),
                "image_size": self.image_size_,
            }
            if self.feature_cache is not None:
                # Per-item locked features differ from batched ones in the last bits: keep their shards apart.
                self._identity["locked_features"] = "per-item"
        return dict(self._identity)

    def _store(self, kind: str) -> FeatureStore | None:
        """The locked-tower store of ``kind`` when ``feature_cache`` is set and the tower fits it."""
        if self.feature_cache is None:
            return None
        if kind not in self._stores:
            dtype = inference_autocast_dtype(self.device_)
            if kind == IMAGE_STORE_KIND:
                visual = self.model_.visual
                fits = hasattr(visual, "trunk") and hasattr(visual, "head")
                identity = (
                    image_trunk_identity(
                        visual.trunk,
                        self.image_size_,
                        visual.preprocess_cfg["mean"],
                        visual.preprocess_cfg["std"],
                        self.device_,
                        dtype,
                    )
                    if fits
                    else None
                )
            else:
                text = getattr(self.model_, "text", None)
                fits = all(hasattr(text, name) for name in ("transformer", "pooler", "proj", "config"))
                identity = text_tower_identity(text, self.device_, dtype) if fits else None
            if identity is None:
                logger.info(
                    "feature_cache: the %s tower of %s is not cacheable; running it whole", kind, self.model
                )
            self._stores[kind] = (
                FeatureStore(self.feature_cache, kind, identity) if identity is not None else None
            )
        return self._stores[kind]

    def _to_model_input(self, pixels: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 1, H, W) grayscale -> normalised float (B, 3, H, W) on the model's device."""
        images = pixels.to(self.device_, non_blocking=True).float().div_(255.0)
        return (images.expand(-1, 3, -1, -1) - self._mean) / self._std

    def _embed_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        """uint8 (B, 1, H, W) -> L2-normalised float32 (B, D) on the CPU."""
        with inference_context(self.device_):
            features = self.model_.encode_image(self._to_model_input(pixels))
        return F.normalize(features.float(), dim=-1).cpu()

    def encode_images(
        self,
        paths: Sequence[str | Path],
        *,
        batch_size: int | None = None,
        num_workers: int = 0,
        progress: bool = True,
    ) -> tuple[np.ndarray, LoadReport]:
        """Embed image files, streaming them in batches.

        Images are decoded as grayscale (DCT-scaled), resized on the shorter side and
        center-cropped to the model's input size, replicated to 3 channels and normalised with
        the model's mean/std. With ``num_workers > 0`` worker processes decode; on a CPU they
        also embed, single-threaded, which beats intra-op threads (set it to the core count).

        Returns
        -------
        tuple[np.ndarray, LoadReport]
            ``float32 (N, D)`` L2-normalised embeddings, one row per path in input order (rows of
            unreadable files are NaN), and the :class:`LoadReport` naming those files.
        """
        step = batch_size or self.batch_size
        store = self._store(IMAGE_STORE_KIND)
        if store is not None:
            return self._encode_images_from_store(store, paths, step, num_workers, progress)
        if self.device_.type == "cpu":
            embeddings, report = embed_image_files(
                paths,
                self.image_size_,
                self._embed_pixels,
                batch_size=step,
                num_workers=num_workers,
                progress=progress,
            )
            if embeddings.shape[1] == 0:  # nothing decoded
                embeddings = np.full((len(paths), self.embed_dim), np.nan, np.float32)
            return embeddings, report
        batches = iter_image_batches(
            paths,
            self.image_size_,
            batch_size=step,
            num_workers=num_workers,
            progress=progress,
            pin_memory=self.device_.type == "cuda",
        )
        embeddings = np.full((len(paths), self.embed_dim), np.nan, np.float32)
        for batch in batches:
            embeddings[batch.indices] = self._embed_pixels(batch.pixels).numpy()
        return embeddings, batches.report

    def _encode_images_from_store(
        self, store: FeatureStore, paths: Sequence[str | Path], step: int, num_workers: int, progress: bool
    ) -> tuple[np.ndarray, LoadReport]:
        visual = self.model_.visual
        features, report = stored_trunk_features(
            store,
            paths,
            self.image_size_,
            per_image_trunk(
                visual.trunk, self._mean, self._std, self.device_, inference_autocast_dtype(self.device_)
            ),
            batch_size=step,
            num_workers=num_workers if self.device_.type == "cpu" else 0,
            progress=progress,
        )
        if features.shape[1] == 0:  # nothing decoded
            return np.full((len(paths), self.embed_dim), np.nan, np.float32), report
        projected = project_rows(lambda row: visual.head(row.to(self.device_)).float().cpu(), features)
        return F.normalize(projected, dim=-1).numpy(), report

    def _trim_padding(self, tokens: torch.Tensor) -> torch.Tensor:
        """Drop trailing all-padding columns; HF towers mask padding, so results are unchanged."""
        from open_clip.hf_model import HFTextEncoder

        text_tower = getattr(self.model_, "text", None)
        if not isinstance(text_tower, HFTextEncoder):
            return tokens
        used = (tokens != text_tower.config.pad_token_id).any(dim=0).nonzero()
        return tokens[:, : int(used.max()) + 1] if used.numel() else tokens

    def encode_texts(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        num_workers: int = 0,
        progress: bool = True,
    ) -> np.ndarray:
        """Embed texts; returns ``float32 (N, D)`` L2-normalised, in input order.

        Each distinct text is encoded once. On a CPU, ``num_workers`` forked single-threaded
        processes share the batches (faster than threads; set it to the core count).
        """
        distinct, rows = distinct_texts(validated_texts(texts))
        store = self._store(TEXT_STORE_KIND)
        if store is not None:
            return self._encode_texts_from_store(store, distinct, batch_size, num_workers, progress)[rows]
        batches = length_batches(distinct, batch_size or self.batch_size)

        def job(number: int) -> np.ndarray:
            tokens = self.tokenizer_([distinct[i] for i in batches[number]])
            with inference_context(self.device_):
                features = self.model_.encode_text(self._trim_padding(tokens).to(self.device_))
            return F.normalize(features.float(), dim=-1).cpu().numpy()

        workers = num_workers if self.device_.type == "cpu" else 0
        embeddings = np.zeros((len(distinct), self.embed_dim), np.float32)
        for number, features in enumerate(
            map_batches(job, len(batches), workers, desc="texts", progress=progress)
        ):
            embeddings[batches[number]] = features
        return embeddings[rows]

    def _encode_texts_from_store(
        self,
        store: FeatureStore,
        distinct: list[str],
        batch_size: int | None,
        num_workers: int,
        progress: bool,
    ) -> np.ndarray:
        text = self.model_.text
        if not distinct:
            return np.zeros((0, self.embed_dim), np.float32)
        pooled = stored_pooled_texts(
            store,
            trimmed_rows(self.tokenizer_(distinct), int(text.config.pad_token_id)),
            text,
            self.device_,
            inference_autocast_dtype(self.device_),
            batch_size=batch_size or self.batch_size,
            num_workers=num_workers,
            progress=progress,
        )
        projected = project_rows(lambda row: text.proj(row.to(self.device_)).float().cpu(), pooled)
        return F.normalize(projected, dim=-1).numpy()
