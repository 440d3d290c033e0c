"""What one training epoch of each classifier under audit costs on this machine.

The audit trains one classifier per bootstrap attempt (15 or more per demo run), so the cost of an epoch
decides which classifier fits the 15-minute budget and which needs ``classifier.device: cuda``. For each
configuration below, this script builds the classifier exactly as the audit does
(``ClassifierConfig`` + ``build_classifier``), then times ``--steps`` optimiser steps (forward, loss,
backward, Adam) on random ``uint8`` images at the configuration's size and batch size, after one warm-up
step. It prints seconds per step and the projected seconds for one epoch of the paper's 1000 training
cases (steps per epoch times seconds per step; the audit adds one forward pass over the training set per
epoch for the batch-norm statistics and one over the validation set, not counted here).

Configurations (``--only`` picks some):

* ``small_cnn_128``: the CPU default (``conf/base``);
* ``lite0_frozen_128``: ``lite0_head`` with its ImageNet backbone frozen (only the head trains);
* ``lite0_finetune_224``: ``lite0_head`` with ``freeze_backbone: false`` at the paper's 224 px,
  lr 5e-5 and batch 8, the nearest offline stand-in for the paper's fine-tuned ResNet-18;
* ``resnet18_224``: the paper's architecture and settings (``conf/mimic``; random weights here, the cost
  is the same).

Run: ``.venv/bin/python benchmarks/classifier_cost.py [--steps 10] [--device cpu] [--only NAME ...]``.
The last line is one JSON object: ``{"device": ..., "torch_threads": ..., "classifiers": {name:
{"s_per_step": ..., "batch_size": ..., "image_size": ..., "epoch_s_1000": ...}}}``.
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

from medslice.classifiers import ClassifierConfig, build_classifier
from medslice.classifiers.tensors import to_model_input
from medslice.classifiers.training import resolve_device

N_TRAIN = 1000
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed optimiser steps per classifier")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N, mps or auto")
    parser.add_argument("--only", nargs="+", choices=sorted(CONFIGURATIONS), help="configurations to time")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    logging.getLogger("medslice").setLevel(logging.ERROR)  # resnet18's random-weights warning
    device = resolve_device(args.device)
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
    summary = {"device": str(device), "torch_threads": torch.get_num_threads(), "classifiers": results}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
