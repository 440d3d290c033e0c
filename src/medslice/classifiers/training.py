"""One training loop for every classifier under audit: Adam, early stopping, seeded."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from medslice.classifiers.augment import augment_batch
from medslice.classifiers.tensors import check_images, check_targets, to_model_input
from medslice.encoders.devices import deterministic_torch, pick_device
from medslice.errors import BadValueError

# Training images whose forward passes re-estimate the batch-norm statistics after each epoch
# (``train_classifier``); a larger training set contributes a fixed, seeded subset of this many.
REFRESH_IMAGES = 256


def resolve_device(device: str) -> torch.device:
    """The torch device for a classifier's ``device`` setting, refusing one this machine lacks.

    ``"auto"`` picks as the encoders do (``pick_device``: CUDA, then Apple MPS, then the CPU);
    ``"cpu"``, ``"cuda"``, ``"cuda:N"`` and ``"mps"`` are taken as given.
    """
    if device == "auto":
        return pick_device()
    chosen = torch.device(device)
    if chosen.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = chosen.index or 0
        if index >= count:
            raise BadValueError(
                f"classifier device {device!r} is not available here ({count} CUDA device(s)); "
                "set classifier.device to 'cpu' or 'auto'"
            )
    elif chosen.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise BadValueError(
                f"classifier device {device!r} is not available here; "
                "set classifier.device to 'cpu' or 'auto'"
            )
    elif chosen.type != "cpu":
        raise BadValueError(
            f"classifier device {device!r} is not one of 'cpu', 'cuda', 'cuda:N', 'mps', 'auto'"
        )
    return chosen


def refresh_batch_norm_statistics(
    model: nn.Module, pixels: torch.Tensor, batch_size: int, device: torch.device | str = "cpu"
) -> None:
    """Re-estimate the running statistics of the batch-norm layers that train, over a whole set.

    This is "precise BN" (``torch.optim.swa_utils.update_bn``), restricted to the layers that
    ``model.train()`` puts in training mode, so a frozen backbone keeps its own statistics (``update_bn``
    would reset them). During an epoch, the running averages trail weights that Adam moves quickly, so an
    eval-mode validation loss computed with them jumps from epoch to epoch (0.3 to 2.1 for the small CNN at
    lr 1e-3), and early stopping then picks its epoch almost at random.

    Only the batch-norm buffers change: the forward passes run under ``torch.inference_mode`` and on a
    fork of the random state (dropout draws in training mode), and in training mode the running
    statistics never feed back into the outputs or the gradients, so a refresh does not alter how the
    weights go on training.

    Parameters
    ----------
    model : nn.Module
        The classifier; it is left in training mode.
    pixels : torch.Tensor
        ``uint8 (N, H, W)`` images, normally the training set (``train_classifier`` passes a
        fixed subset of it, ``REFRESH_IMAGES``).
    batch_size : int
        Images per forward pass; a trailing lone image is skipped, as in training.
    device : torch.device or str, default="cpu"
        Where the model is; each batch is moved there.
    """
    model.train()
    layers = [
        module
        for module in model.modules()
        if isinstance(module, nn.modules.batchnorm._BatchNorm)
        and module.training
        and module.track_running_stats
    ]
    if not layers:
        return
    momenta = {layer: layer.momentum for layer in layers}
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # a cumulative average over every batch, not an exponential one
    target = torch.device(device)
    forked = [target.index or 0] if target.type in ("cuda", "mps") else []
    try:
        with torch.random.fork_rng(devices=forked, device_type=target.type), torch.inference_mode():
            for start in range(0, len(pixels), batch_size):
                batch = pixels[start : start + batch_size]
                if len(batch) >= 2:
                    model(to_model_input(batch).to(device))
    finally:
        for layer, momentum in momenta.items():
            layer.momentum = momentum


def _mean_loss_and_accuracy(
    model: nn.Module, pixels: torch.Tensor, targets: torch.Tensor, batch_size: int, device: torch.device
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a whole set, in eval mode."""
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(pixels), batch_size):
            logits = model(to_model_input(pixels[start : start + batch_size]).to(device))
            batch_targets = targets[start : start + batch_size].to(device)
            total_loss += float(F.cross_entropy(logits, batch_targets, reduction="sum"))
            correct += int((logits.argmax(dim=1) == batch_targets).sum())
    return total_loss / len(pixels), correct / len(pixels)


def _refresh_subset(pixels: torch.Tensor, seed: int) -> torch.Tensor:
    """The training images that re-estimate batch-norm statistics: all, or ``REFRESH_IMAGES`` of them.

    Drawn from a random stream of its own (spawned from ``seed``), so training shuffles and augments as
    the seed gives it without a subset; sorted, so the images keep their order in the set.
    """
    if len(pixels) <= REFRESH_IMAGES:
        return pixels
    chooser = np.random.default_rng(np.random.SeedSequence(seed % 2**64, spawn_key=(1,)))
    chosen = np.sort(chooser.choice(len(pixels), REFRESH_IMAGES, replace=False))
    return pixels[torch.from_numpy(chosen)]


def train_classifier(
    model: nn.Module,
    train_images: np.ndarray,
    train_targets: np.ndarray,
    val_images: np.ndarray,
    val_targets: np.ndarray,
    *,
    lr: float,
    batch_size: int,
    max_epochs: int,
    patience: int,
    seed: int,
    augment: bool = False,
    early_stopping: bool = True,
    device: str = "cpu",
    show_progress: bool = True,
) -> tuple[nn.Module, dict[str, Any]]:
    """Train ``model`` with Adam and cross-entropy, early-stopping on the validation loss.

    After each epoch the batch-norm running statistics are re-estimated (``refresh_batch_norm_statistics``)
    before the validation loss is measured, so the loss that early stopping compares is the one the saved
    weights will give. The re-estimate runs over a fixed subset of the training set, ``REFRESH_IMAGES``
    images drawn once with the seed (all of them for a smaller set), the same subset every epoch: at 1000
    training images a full pass took a third of the small CNN's epoch, and the statistics of 256 images
    move the validation loss by far less than an epoch of training does
    (docs/decisions/0031-classifier-epoch-cost.md). The epoch whose weights are kept is validated with
    the statistics it is saved with.

    Parameters
    ----------
    model : nn.Module
        A classifier taking ``float (B, 1, H, W)`` in [0, 1] and returning two logits.
    train_images, val_images : np.ndarray
        ``uint8 (N, H, W)`` arrays.
    train_targets, val_targets : np.ndarray
        0/1 labels, one per image.
    lr : float
        Adam learning rate.
    batch_size : int
        Minibatch size.
    max_epochs : int
        Upper bound on epochs.
    patience : int
        Stop after this many epochs without a lower validation loss.
    early_stopping : bool, default=True
        ``False`` trains all ``max_epochs`` and keeps the last epoch's weights, so
        that the model fits its training labels as far as it can (``patience`` is then unused;
        the validation loss is still recorded).
    seed : int
        Drives shuffling, augmentation, dropout and the refresh subset; same inputs, seed and
        torch thread count give the same weights.
    augment : bool, default=False
        Apply ``augment_batch`` (small shifts and exposure changes) to training batches.
    device : str, default="cpu"
        Where to train (``resolve_device``: ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"`` or
        ``"auto"``). Shuffling and augmentation always draw on the CPU, so only the kernels
        differ between devices.
    show_progress : bool, default=True
        Show a tqdm bar over epochs.

    Returns
    -------
    tuple[nn.Module, dict[str, Any]]
        The model, on the CPU, with the weights of its best validation epoch restored (of its last
        epoch without early stopping), and a history dict with one entry per epoch (``train_loss``,
        ``val_loss``, ``val_accuracy``), ``best_epoch``, ``kept_epoch``, ``stopped_early`` and the
        ``device`` it trained on.
    """
    train_images = check_images(train_images, "train_images")
    val_images = check_images(val_images, "val_images")
    train_y = torch.from_numpy(check_targets(train_targets, len(train_images), "train_targets"))
    val_y = torch.from_numpy(check_targets(val_targets, len(val_images), "val_targets"))
    if len(train_images) < 2:
        raise BadValueError(f"train_images must hold at least 2 images, got {len(train_images)}")
    if len(torch.unique(train_y)) < 2:
        raise BadValueError(
            f"train_targets hold only class {int(train_y[0])}; a classifier needs both classes to learn."
        )
    if len(val_images) == 0:
        raise BadValueError("val_images is empty; early stopping needs a validation set")
    for name, value in (("batch_size", batch_size), ("max_epochs", max_epochs)):
        if value < 1:
            raise BadValueError(f"{name} must be >= 1, got {value}")
    if patience < 1:
        raise BadValueError(f"patience must be >= 1, got {patience}")
    if not lr > 0:
        raise BadValueError(f"lr must be positive, got {lr}")
    target_device = resolve_device(device)

    train_pixels = torch.from_numpy(train_images)
    val_pixels = torch.from_numpy(val_images)
    generator = torch.Generator().manual_seed(seed)
    refresh_pixels = _refresh_subset(train_pixels, seed)
    epochs: list[dict[str, float]] = []
    best_loss, best_epoch, best_state, waited = float("inf"), -1, None, 0

    model.to(target_device)
    with deterministic_torch(seed):
        trainable = [p for p in model.parameters() if p.requires_grad]
        # fused: one kernel per step for all parameters instead of a dozen elementwise passes.
        fused = target_device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in trainable)
        optimizer = torch.optim.Adam(trainable, lr=lr, fused=fused or None)
        bar = tqdm(range(max_epochs), desc="epochs", unit="epoch", disable=not show_progress)
        for epoch in bar:
            model.train()
            order = torch.randperm(len(train_pixels), generator=generator)
            running, seen = 0.0, 0
            for start in range(0, len(order), batch_size):
                index = order[start : start + batch_size]
                if len(index) < 2:
                    continue  # batch norm cannot train on a lone image; it is reshuffled next epoch
                inputs = to_model_input(train_pixels[index])
                if augment:
                    inputs = augment_batch(inputs, generator)
                loss = F.cross_entropy(model(inputs.to(target_device)), train_y[index].to(target_device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                running += loss.item() * len(index)
                seen += len(index)
            refresh_batch_norm_statistics(model, refresh_pixels, batch_size, target_device)
            val_loss, val_accuracy = _mean_loss_and_accuracy(
                model, val_pixels, val_y, batch_size, target_device
            )
            epochs.append(
                {
                    "epoch": epoch,
                    "train_loss": running / max(seen, 1),
                    "val_loss": val_loss,
                    "val_accuracy": val_accuracy,
                }
            )
            bar.set_postfix(val_loss=f"{val_loss:.3f}", val_acc=f"{val_accuracy:.2f}")
            if val_loss < best_loss:
                best_loss, best_epoch, waited = val_loss, epoch, 0
                if early_stopping:
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            elif early_stopping:
                waited += 1
                if waited >= patience:
                    break
        bar.close()

    if best_state is not None:
        model.load_state_dict(best_state)
    model.to("cpu").eval()
    history = {
        "epochs": epochs,
        "best_epoch": best_epoch,
        "best_val_loss": best_loss,
        "kept_epoch": best_epoch if early_stopping else len(epochs) - 1,
        "stopped_early": len(epochs) < max_epochs,
        "n_train": len(train_images),
        "n_validate": len(val_images),
        "device": str(target_device),
    }
    return model, history
