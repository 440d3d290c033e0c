"""What one training epoch of each classifier under audit costs on this machine.

The audit trains one classifier per bootstrap attempt (15 or more per demo run), so the cost of an epoch
decides which classifier fits the 15-minute budget and which needs ``classifier.device: cuda``. For each
configuration below, this script builds the classifier exactly as the audit does
(``ClassifierConfig`` + ``build_classifier``), then times ``--steps`` optimiser steps (forward, loss,
backward, Adam) on random ``uint8`` images at the configuration's size and batch size, after one warm-up
step. It prints seconds per step and the projected seconds for one epoch of the paper's 1000 training
cases (steps per epoch times seconds per step; the audit adds, per epoch, the forward passes that
re-estimate the batch-norm statistics and one over the validation set, not counted here).

It then measures the epoch **as the audit runs it**: ``train_classifier`` (batch-norm refresh, validation
and, unless ``--no-augment``, augmentation included) on random ``uint8`` images of the configuration's size,
1000 training and 100 validation cases, early stopping off, for ``--audit-epochs`` epochs after a one-epoch
warm-up call; ``audit_epoch_s`` is the timed call's wall time divided by the epochs it ran. It compares that
with the **FLOP floor** of the epoch's optimiser steps, measured in the same run with the same torch
threads: the FLOPs of one training step per image (``torch.utils.flop_counter.FlopCounterMode`` over the
forward and the backward pass: convolutions and matrix products; about 3x the forward FLOPs for a network
that trains whole, less for a frozen backbone), times 1000 images, divided by this machine's float32 rate
(the best of ten 2048 x 2048 matrix products, ``matmul_gflops``). ``floor_epoch_s`` leaves out the
batch-norm refresh and the validation pass, so ``epoch_over_floor = audit_epoch_s / floor_epoch_s``
charges them to the epoch as overhead; ``floor_with_eval_s`` adds their forward passes (over the refresh's
images, ``REFRESH_IMAGES`` of ``medslice.classifiers.training`` or the whole training set, and the 100
validation images) for reference.

Configurations (``--only`` picks some):

* ``small_cnn_128``: the CPU default (``conf/base``);
* ``lite0_frozen_128``: ``lite0_head`` with its ImageNet backbone frozen (only the head trains);
* ``lite0_finetune_224``: ``lite0_head`` with ``freeze_backbone: false`` at the paper's 224 px,
  lr 5e-5 and batch 8, the nearest offline stand-in for the paper's fine-tuned ResNet-18;
* ``resnet18_224``: the paper's architecture and settings (``conf/mimic``; random weights here, the cost
  is the same).

Run: ``.venv/bin/python benchmarks/classifier_cost.py [--steps 10] [--device cpu] [--only NAME ...]
[--torch-threads N] [--audit-epochs 3] [--no-augment]``; ``--only small_cnn_128`` takes about 20 s on two
cores (the 224 px configurations take minutes per epoch on a CPU).
The last line is one JSON object: ``{"device": ..., "torch_threads": ..., "matmul_gflops": ...,
"audit_augment": ..., "classifiers": {name: {"s_per_step": ..., "batch_size": ..., "image_size": ...,
"epoch_s_1000": ..., "forward_mflop_per_image": ..., "train_step_mflop_per_image": ..., "audit_epoch_s":
..., "floor_epoch_s": ..., "floor_with_eval_s": ..., "epoch_over_floor": ...}}}``.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from medslice.classifiers import ClassifierConfig, build_classifier, train_classifier, training
from medslice.classifiers.tensors import to_model_input
from medslice.classifiers.training import resolve_device

N_TRAIN = 1000
N_VALIDATE = 100
MATMUL_SIDE = 2048
CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "small_cnn_128": {"name": "small_cnn", "image_size": 128},
    "lite0_frozen_128": {"name": "lite0_head", "image_size": 128},
    "lite0_finetune_224": {
        "name": "lite0_head",
        "freeze_backbone": False,
        "image_size": 224,
        "lr": 5e-5,
        "batch_size": 8,
    },
    "resnet18_224": {"name": "resnet18", "image_size": 224, "lr": 5e-5, "batch_size": 8},
}


def seconds_per_step(config: ClassifierConfig, device: torch.device, steps: int) -> float:
    """Mean wall time of one training step of ``config`` on ``device``, after one warm-up step."""
    model = build_classifier(config.name, seed=0, **config.model_kwargs).to(device).train()
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    rng = np.random.default_rng(0)
    shape = (config.batch_size, config.image_size, config.image_size)
    pixels = torch.from_numpy(rng.integers(0, 256, shape, dtype=np.uint8))
    targets = torch.from_numpy(rng.integers(0, 2, config.batch_size)).to(device)

    def step() -> None:
        loss = F.cross_entropy(model(to_model_input(pixels).to(device)), targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / steps


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_gflops(device: torch.device, side: int = MATMUL_SIDE, repeats: int = 10) -> float:
    """This machine's float32 rate: the best of ``repeats`` ``side x side`` matrix products, in GFLOP/s."""
    generator = torch.Generator().manual_seed(0)
    a = torch.rand(side, side, generator=generator).to(device)
    b = torch.rand(side, side, generator=generator).to(device)
    torch.mm(a, b)  # warm-up
    best = float("inf")
    for _ in range(repeats):
        _synchronize(device)
        start = time.perf_counter()
        torch.mm(a, b)
        _synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * side**3 / best / 1e9


def flops_per_image(config: ClassifierConfig) -> tuple[float, float]:
    """FLOPs per image of ``config``'s model: one forward pass, and one training step (forward + backward).

    Counted by ``FlopCounterMode`` (convolutions and matrix products) on two images in training mode, so
    that a frozen backbone's backward pass, which the optimiser step never runs, is not counted.
    """
    model = build_classifier(config.name, seed=0, **config.model_kwargs).train()
    images = torch.rand(2, 1, config.image_size, config.image_size)
    with FlopCounterMode(display=False) as forward:
        loss = F.cross_entropy(model(images), torch.tensor([0, 1]))
    with FlopCounterMode(display=False) as backward:
        loss.backward()
    n_forward = forward.get_total_flops() / len(images)
    return n_forward, n_forward + backward.get_total_flops() / len(images)


def audit_epoch_seconds(config: ClassifierConfig, device: torch.device, epochs: int, augment: bool) -> float:
    """Wall seconds per epoch of ``train_classifier`` as the audit calls it, after a one-epoch warm-up."""
    rng = np.random.default_rng(0)
    side = config.image_size
    train_x = rng.integers(0, 256, (N_TRAIN, side, side), dtype=np.uint8)
    val_x = rng.integers(0, 256, (N_VALIDATE, side, side), dtype=np.uint8)
    train_y = np.arange(N_TRAIN) % 2
    val_y = np.arange(N_VALIDATE) % 2
    settings = {
        **config.training_kwargs(),
        "augment": augment,
        "early_stopping": False,
        "device": str(device),
    }

    def run(n_epochs: int) -> float:
        model = build_classifier(config.name, seed=0, **config.model_kwargs)
        _synchronize(device)
        start = time.perf_counter()
        _, history = train_classifier(
            model,
            train_x,
            train_y,
            val_x,
            val_y,
            seed=0,
            show_progress=False,
            **{**settings, "max_epochs": n_epochs},
        )
        _synchronize(device)
        assert len(history["epochs"]) == n_epochs
        return time.perf_counter() - start

    run(1)  # warm-up: kernel choices and allocator caches for these shapes
    return run(epochs) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed optimiser steps per classifier")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto")
    parser.add_argument("--only", nargs="+", choices=sorted(CONFIGURATIONS), help="configurations to time")
    parser.add_argument(
        "--torch-threads", type=int, default=None, help="torch intra-op threads (default: torch's default)"
    )
    parser.add_argument(
        "--audit-epochs",
        type=int,
        default=3,
        help="epochs of the timed train_classifier call (after a warm-up)",
    )
    parser.add_argument(
        "--no-augment",
        action="store_true",
        help="time the audit epoch without augmentation (conf/base's setting)",
    )
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    if args.audit_epochs < 1:
        parser.error("--audit-epochs must be >= 1")
    if args.torch_threads is not None:
        if args.torch_threads < 1:
            parser.error("--torch-threads must be >= 1")
        torch.set_num_threads(args.torch_threads)
    logging.getLogger("medslice").setLevel(logging.ERROR)  # resnet18's random-weights warning
    device = resolve_device(args.device)
    augment = not args.no_augment
    gflops = matmul_gflops(device)
    print(
        f"float32 matmul ({MATMUL_SIDE}^2): {gflops:.0f} GFLOP/s on {torch.get_num_threads()} torch thread(s)"
    )
    results: dict[str, dict[str, Any]] = {}
    for name in args.only or CONFIGURATIONS:
        config = ClassifierConfig.from_dict(CONFIGURATIONS[name])
        per_step = seconds_per_step(config, device, args.steps)
        epoch = math.ceil(N_TRAIN / config.batch_size) * per_step
        results[name] = {
            "s_per_step": round(per_step, 4),
            "batch_size": config.batch_size,
            "image_size": config.image_size,
            "epoch_s_1000": round(epoch, 1),
        }
        print(
            f"{name:>20}: {per_step:.3f} s per step of {config.batch_size} at {config.image_size} px; "
            f"one epoch of {N_TRAIN} cases ~ {epoch:.0f} s"
        )
        forward, train_step = flops_per_image(config)
        refreshed = min(N_TRAIN, getattr(training, "REFRESH_IMAGES", N_TRAIN))
        floor = train_step * N_TRAIN / (gflops * 1e9)
        floor_with_eval = (train_step * N_TRAIN + forward * (refreshed + N_VALIDATE)) / (gflops * 1e9)
        audit_epoch = audit_epoch_seconds(config, device, args.audit_epochs, augment)
        results[name].update(
            {
                "forward_mflop_per_image": round(forward / 1e6, 2),
                "train_step_mflop_per_image": round(train_step / 1e6, 2),
                "audit_epoch_s": round(audit_epoch, 3),
                "floor_epoch_s": round(floor, 3),
                "floor_with_eval_s": round(floor_with_eval, 3),
                "epoch_over_floor": round(audit_epoch / floor, 2),
            }
        )
        print(
            f"{name:>20}: audit epoch ({N_TRAIN} train, {N_VALIDATE} validation, augment {augment}) "
            f"{audit_epoch:.2f} s; floor {floor:.2f} s ({train_step / 1e6:.1f} MFLOP per training image, "
            f"{train_step / forward:.2f} x the forward, x {N_TRAIN} at "
            f"{gflops:.0f} GFLOP/s; {floor_with_eval:.2f} s with refresh and validation passes); "
            f"epoch / floor {audit_epoch / floor:.1f}"
        )
    summary = {
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "matmul_gflops": round(gflops, 1),
        "audit_augment": augment,
        "classifiers": results,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
