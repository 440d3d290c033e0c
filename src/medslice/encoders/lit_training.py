"""Train the in-domain CLIP's projections on (image, report) pairs, LiT-style, on a CPU.

Both towers are locked, so their pooled outputs are computed once and cached; every epoch then costs
only two small matrix products. With ``train_text_layers > 0`` the top text layers are tuned too,
which needs a text forward pass per step (slower).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from medslice.encoders.batch_map import map_batches
from medslice.encoders.devices import (
    autocast_to,
    deterministic_torch,
    pick_device,
    resolve_precision,
    torch_threads,
)
from medslice.encoders.feature_store import FeatureStore
from medslice.encoders.image_features import embed_image_files
from medslice.encoders.image_loading import LoadReport, iter_image_batches
from medslice.encoders.lit_clip import build_lit_clip, lit_clip_model_cfg, lit_clip_preprocess_cfg
from medslice.encoders.local_dir import save_open_clip_folder
from medslice.encoders.locked_towers import (
    IMAGE_STORE_KIND,
    TEXT_STORE_KIND,
    image_trunk_identity,
    per_image_trunk,
    pooled_text,
    stored_pooled_texts,
    stored_trunk_features,
    text_tower_identity,
    trimmed_rows,
)
from medslice.encoders.schedule import warmup_cosine_lr
from medslice.encoders.text_batching import distinct_texts, validated_texts
from medslice.errors import BadValueError

logger = logging.getLogger(__name__)

TRAINING_LOG_NAME = "training_log.json"
_MAX_LOGIT_SCALE = float(np.log(100.0))


def _cache_image_features(
    model: nn.Module,
    image_paths: Sequence[str],
    *,
    image_size: int,
    batch_size: int,
    num_workers: int,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    progress: bool,
    feature_cache: Path | None = None,
) -> tuple[torch.Tensor, LoadReport]:
    """Pooled trunk features (N, C) of the locked image tower; rows of unreadable files are NaN.

    On a CPU, ``num_workers`` forked single-threaded processes each decode *and* embed whole
    batches (see :mod:`~medslice.encoders.batch_map`); on an accelerator, workers decode and
    the device embeds. With ``feature_cache``, features come from (and go to) the locked-tower
    store there, each image computed on its own.
    """
    trunk = model.visual.trunk.eval()
    mean = torch.tensor(model.visual.preprocess_cfg["mean"], device=device).view(1, 3, 1, 1)
    std = torch.tensor(model.visual.preprocess_cfg["std"], device=device).view(1, 3, 1, 1)
    if feature_cache is not None:
        preprocess = model.visual.preprocess_cfg
        identity = image_trunk_identity(
            trunk, image_size, preprocess["mean"], preprocess["std"], device, autocast_dtype
        )
        features, report = stored_trunk_features(
            FeatureStore(feature_cache, IMAGE_STORE_KIND, identity),
            image_paths,
            image_size,
            per_image_trunk(trunk, mean, std, device, autocast_dtype),
            batch_size=batch_size,
            # Forked workers must not touch an accelerator: there the main process embeds.
            num_workers=num_workers if device.type == "cpu" else 0,
            progress=progress,
        )
        return torch.from_numpy(features), report

    def embed(pixels: torch.Tensor) -> torch.Tensor:
        images = pixels.to(device).float().div_(255.0).expand(-1, 3, -1, -1)
        with autocast_to(device, autocast_dtype):
            return trunk((images - mean) / std).float().cpu()

    if device.type == "cpu":
        features, report = embed_image_files(
            image_paths,
            image_size,
            embed,
            batch_size=batch_size,
            num_workers=num_workers,
            progress=progress,
        )
        return torch.from_numpy(features), report
    features = torch.full((len(image_paths), trunk.num_features), float("nan"))
    batches = iter_image_batches(
        image_paths, image_size, batch_size=batch_size, num_workers=num_workers, progress=progress
    )
    with torch.inference_mode():
        for batch in batches:
            features[torch.from_numpy(batch.indices)] = embed(batch.pixels)
    return features, batches.report


def _tokenize(text_cfg: dict, texts: Sequence[str]) -> torch.Tensor:
    """Token ids exactly as open_clip's tokenizer for this model produces them at inference."""
    from open_clip.tokenizer import HFTokenizer

    tokenizer = HFTokenizer(text_cfg["hf_tokenizer_name"], context_length=text_cfg["context_length"])
    return tokenizer(list(texts))


def _trimmed(tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
    used = (tokens != pad_id).any(dim=0).nonzero()
    return tokens[:, : int(used.max()) + 1] if used.numel() else tokens


def _pooled_text(model: nn.Module, tokens: torch.Tensor) -> torch.Tensor:
    """The HF text tower's pooled output before its projection (as in HFTextEncoder.forward)."""
    return pooled_text(model.text, _trimmed(tokens, model.text.config.pad_token_id))


def _cache_text_features(
    model: nn.Module,
    tokens: torch.Tensor,
    *,
    batch_size: int,
    num_workers: int,
    device: torch.device,
    autocast_dtype: torch.dtype | None,
    progress: bool,
    feature_cache: Path | None = None,
) -> torch.Tensor:
    """Pooled outputs (N, H) of the locked text tower, batching texts of similar length.

    On a CPU, ``num_workers`` forked single-threaded processes share the batches. With
    ``feature_cache``, outputs come from (and go to) the locked-tower store there, each text
    computed on its own.
    """
    pad_id = model.text.config.pad_token_id
    if feature_cache is not None:
        store = FeatureStore(
            feature_cache, TEXT_STORE_KIND, text_tower_identity(model.text, device, autocast_dtype)
        )
        pooled = stored_pooled_texts(
            store,
            trimmed_rows(tokens, pad_id),
            model.text,
            device,
            autocast_dtype,
            batch_size=batch_size,
            num_workers=num_workers,
            progress=progress,
        )
        return torch.from_numpy(pooled)
    order = torch.argsort((tokens != pad_id).sum(dim=1), stable=True)
    model.text.transformer.eval()

    def job(batch: int) -> tuple[np.ndarray, np.ndarray]:
        rows = order[batch * batch_size : (batch + 1) * batch_size]
        with torch.inference_mode(), autocast_to(device, autocast_dtype):
            pooled = _pooled_text(model, tokens[rows].to(device)).float().cpu()
        return rows.numpy(), pooled.numpy()

    workers = num_workers if device.type == "cpu" else 0
    n_batches = (len(tokens) + batch_size - 1) // batch_size
    pooled = torch.empty((len(tokens), model.text.config.hidden_size))
    for rows, batch_pooled in map_batches(job, n_batches, workers, desc="text features", progress=progress):
        pooled[torch.from_numpy(rows)] = torch.from_numpy(batch_pooled)
    return pooled


def _unlock_top_text_layers(model: nn.Module, n_layers: int) -> list[nn.Parameter]:
    """Freeze the text transformer except its top ``n_layers`` layers; return those parameters."""
    transformer = model.text.transformer
    for parameter in transformer.parameters():
        parameter.requires_grad_(False)
    if n_layers == 0:
        return []
    layers = transformer.encoder.layer
    if n_layers > len(layers):
        raise BadValueError(f"`train_text_layers` is {n_layers} but the text tower has {len(layers)} layers")
    unlocked = [p for layer in layers[-n_layers:] for p in layer.parameters()]
    for parameter in unlocked:
        parameter.requires_grad_(True)
    return unlocked


def _parameter_groups(
    model: nn.Module, text_layer_params: list[nn.Parameter], weight_decay: float
) -> list[dict]:
    projections = [*model.visual.head.parameters(), *model.text.proj.parameters()]
    trainable = [*projections, *text_layer_params]
    # As in open_clip: no weight decay on biases, norms (1-d tensors) or the temperature.
    decay = [p for p in trainable if p.ndim >= 2]
    no_decay = [p for p in trainable if p.ndim < 2]
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": [*no_decay, model.logit_scale], "weight_decay": 0.0},
    ]


def _fit_projections(
    model: nn.Module,
    image_features: torch.Tensor,
    texts: torch.Tensor,
    *,
    generator: torch.Generator,
    settings: dict[str, Any],
    text_layer_params: list[nn.Parameter],
    progress: bool,
) -> tuple[list[float], int]:
    """AdamW + warm-up/cosine over shuffled batches of cached features; returns (losses, steps).

    ``texts`` holds pooled text features (locked tower) or token ids (top layers being tuned).
    """
    from open_clip.loss import ClipLoss

    n_pairs = len(image_features)
    step_size = min(settings["batch_size"], n_pairs)
    steps_per_epoch = n_pairs // step_size  # drop the ragged tail: tiny batches are noisy
    total_steps = settings["epochs"] * steps_per_epoch
    lr, warmup_steps = settings["lr"], settings["warmup_steps"]
    optimizer = torch.optim.AdamW(
        _parameter_groups(model, text_layer_params, settings["weight_decay"]), lr=lr
    )
    loss_fn = ClipLoss()
    model.visual.head.train()
    losses: list[float] = []
    step = 0
    bar = tqdm(range(settings["epochs"]), desc="LiT epochs", disable=not progress)
    for _ in bar:
        order = torch.randperm(n_pairs, generator=generator)
        epoch_loss = 0.0
        for batch_start in range(0, steps_per_epoch * step_size, step_size):
            rows = order[batch_start : batch_start + step_size]
            for group in optimizer.param_groups:
                group["lr"] = warmup_cosine_lr(step, lr, warmup_steps, total_steps)
            pooled_text = texts[rows] if texts.is_floating_point() else _pooled_text(model, texts[rows])
            image_embedding = F.normalize(model.visual.head(image_features[rows]), dim=-1)
            text_embedding = F.normalize(model.text.proj(pooled_text), dim=-1)
            loss = loss_fn(image_embedding, text_embedding, model.logit_scale.exp())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0.0, _MAX_LOGIT_SCALE)
            epoch_loss += loss.item()
            step += 1
        losses.append(epoch_loss / steps_per_epoch)
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    return losses, total_steps


def _validate_pairs(image_paths: Sequence[str], texts: Sequence[str]) -> None:
    if len(image_paths) != len(texts):
        raise BadValueError(f"`image_paths` ({len(image_paths)}) and `texts` ({len(texts)}) must pair up 1:1")
    if len(image_paths) < 2:
        raise BadValueError("Contrastive training needs at least 2 (image, text) pairs")


def _validate_hyperparameters(**values: Any) -> None:
    for name in ("epochs", "batch_size", "image_size", "embed_dim"):
        value = values[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise BadValueError(f"`{name}` must be a positive integer, got {value!r}")
    if not values["lr"] > 0:
        raise BadValueError(f"`lr` must be > 0, got {values['lr']!r}")
    if values["warmup_steps"] < 0 or values["weight_decay"] < 0:
        raise BadValueError("`warmup_steps` and `weight_decay` must be >= 0")
    if values["train_text_layers"] < 0:
        raise BadValueError(f"`train_text_layers` must be >= 0, got {values['train_text_layers']!r}")


def train_lit_clip(
    image_paths: Sequence[str],
    texts: Sequence[str],
    output_dir: str | Path,
    *,
    embed_dim: int = 256,
    epochs: int = 30,
    batch_size: int = 256,
    lr: float = 2e-3,
    warmup_steps: int = 20,
    weight_decay: float = 0.05,
    train_text_layers: int = 0,
    image_size: int = 160,
    seed: int = 0,
    num_workers: int = 0,
    feature_batch_size: int = 64,
    precision: str = "fp32",
    device: str | None = None,
    feature_cache: str | Path | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Train the in-domain CLIP's projections with open_clip's ClipLoss and save it as a folder.

    The image tower (ImageNet EfficientNet-Lite0) is locked in eval mode and its pooled features
    are computed once; the text tower (all-MiniLM-L6-v2) is locked except its top
    ``train_text_layers`` layers (0: cached too). AdamW with linear warm-up and cosine decay
    trains the two linear projections and the temperature. Pairs whose image cannot be decoded
    are left out and listed in the log.

    Parameters
    ----------
    image_paths : Sequence[str]
        Training images, paired 1:1 with ``texts``.
    texts : Sequence[str]
        Report texts.
    output_dir : str or Path
        Folder for ``open_clip_config.json`` + ``open_clip_model.safetensors`` (plus
        the tokenizer and ``training_log.json``); load it with ``local-dir:<output_dir>``.
    embed_dim : int, default=256
        Width of the shared space.
    epochs : int, default=30
        Passes over the pairs.
    batch_size : int, default=256
        Pairs per contrastive batch.
    lr : float, default=0.002
        Peak AdamW learning rate.
    warmup_steps : int, default=20
        Linear warm-up steps.
    weight_decay : float, default=0.05
        AdamW weight decay of the projection matrices.
    train_text_layers : int, default=0
        Top text-transformer layers to tune (0 = fully locked).
    image_size : int, default=160
        Image tower input size (pixels).
    seed : int, default=0
        Seeds projection init, batch order and everything else random.
    num_workers : int, default=0
        Worker processes computing the cached features. On a CPU each decodes and
        embeds whole batches single-threaded, which beats threads (set it to the core
        count); 0 computes here with torch's threads.
    feature_batch_size : int, default=64
        Images/texts per forward pass while caching features.
    precision : str, default="fp32"
        Of the locked towers' forward passes: "fp32" (default: the same weights on
        every machine), "bf16", or "auto" = bf16 on CUDA and on CPUs that compute it natively
        (Intel AMX; ~1.2x faster end to end, same quality). Projections train in fp32.
    device : str or None, default=None
        Where the locked towers compute the cached features (None: CUDA, MPS, else
        CPU); the projections always train on the CPU.
    feature_cache : str or Path or None, default=None
        Folder of the locked-tower feature stores
        (:class:`~medslice.encoders.feature_store.FeatureStore`), shared with
        ``ClipEncoder(feature_cache=...)``: the pooled outputs of the locked towers are read from
        it and the missing ones added, each image and text computed on its own so that stored
        and fresh features are identical. None computes them in batches, keeping nothing.
    progress : bool, default=True
        Show progress bars.

    Returns
    -------
    dict[str, Any]
        The training log: losses per epoch, timings, counts, failed images, settings.
    """
    image_paths = [str(p) for p in image_paths]
    texts = validated_texts(texts)
    _validate_pairs(image_paths, texts)
    settings = {
        "embed_dim": embed_dim,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "warmup_steps": warmup_steps,
        "weight_decay": weight_decay,
        "train_text_layers": train_text_layers,
        "image_size": image_size,
        "seed": seed,
    }
    _validate_hyperparameters(**settings)
    device_ = pick_device(device)
    autocast_dtype = resolve_precision(precision, device_)
    settings["feature_precision"] = "bf16" if autocast_dtype is not None else "fp32"
    settings["feature_device"] = str(device_)
    settings["feature_cache"] = feature_cache is not None
    cache = Path(feature_cache) if feature_cache is not None else None
    started = time.perf_counter()
    model_cfg = lit_clip_model_cfg(embed_dim=embed_dim, image_size=image_size)
    preprocess_cfg = lit_clip_preprocess_cfg(image_size)
    with deterministic_torch(seed) as generator:
        model = build_lit_clip(model_cfg, preprocess_cfg)
        for parameter in model.visual.trunk.parameters():
            parameter.requires_grad_(False)
        text_layer_params = _unlock_top_text_layers(model, train_text_layers)
        model.visual.trunk.to(device_)
        model.text.transformer.to(device_)

        image_features, report = _cache_image_features(
            model,
            image_paths,
            image_size=image_size,
            batch_size=feature_batch_size,
            num_workers=num_workers,
            device=device_,
            autocast_dtype=autocast_dtype,
            progress=progress,
            feature_cache=cache,
        )
        keep = torch.from_numpy(report.loaded_mask)
        if int(keep.sum()) < 2:
            raise BadValueError(f"Fewer than 2 readable images: {report.to_dict()['failures'][:5]}")
        image_features = image_features[keep]
        kept_texts = [t for t, k in zip(texts, keep.tolist(), strict=True) if k]
        # Views of one study share their report: encode each distinct text once.
        unique_texts, text_rows = distinct_texts(kept_texts)
        unique_tokens = _tokenize(model_cfg["text_cfg"], unique_texts)
        text_rows = torch.from_numpy(text_rows)
        if train_text_layers == 0:
            pooled = _cache_text_features(
                model,
                unique_tokens,
                batch_size=feature_batch_size,
                num_workers=num_workers,
                device=device_,
                autocast_dtype=autocast_dtype,
                progress=progress,
                feature_cache=cache,
            )
            text_features, tokens = pooled[text_rows], None
        else:
            text_features, tokens = None, unique_tokens[text_rows]
        model.to("cpu")
        feature_seconds = time.perf_counter() - started

        n_pairs = len(image_features)
        # Cached features leave only tiny matrix products: one thread is fastest (see torch_threads).
        threads = 1 if train_text_layers == 0 else torch.get_num_threads()
        with torch_threads(threads):
            losses, total_steps = _fit_projections(
                model,
                image_features,
                text_features if text_features is not None else tokens,
                generator=generator,
                settings=settings,
                text_layer_params=text_layer_params,
                progress=progress,
            )
        model.eval()

    folder = save_open_clip_folder(
        model,
        model_cfg,
        preprocess_cfg,
        output_dir,
        hf_text_folder=model_cfg["text_cfg"]["hf_model_name"],
    )
    log = {
        "loss_per_epoch": losses,
        "n_pairs": n_pairs,
        "n_distinct_texts": len(unique_texts),
        "n_failed_images": report.n_failed,
        "failed_images": report.to_dict()["failures"],
        "steps": total_steps,
        "feature_seconds": round(feature_seconds, 3),
        "wall_seconds": round(time.perf_counter() - started, 3),
        "logit_scale": float(model.logit_scale.detach().exp()),
        "settings": settings,
    }
    with open(folder / TRAINING_LOG_NAME, "w", encoding="utf-8") as handle:
        json.dump(log, handle, indent=2)
    logger.info("Trained in-domain CLIP on %d pairs in %.1f s", n_pairs, log["wall_seconds"])
    return log
