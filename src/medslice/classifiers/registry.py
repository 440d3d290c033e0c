"""Name -> classifier registry, with each architecture's input size and training defaults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from medslice.classifiers.lite0 import Lite0HeadClassifier
from medslice.classifiers.resnet import ResNet18Classifier
from medslice.classifiers.small_cnn import SmallCNN
from medslice.errors import UnknownNameError

CLASSIFIERS: dict[str, Callable[..., nn.Module]] = {
    "small_cnn": SmallCNN,
    "resnet18": ResNet18Classifier,
    "lite0_head": Lite0HeadClassifier,
}

# Input side in pixels per architecture (the paper's ResNet-18 uses 224).
DEFAULT_IMAGE_SIZE: dict[str, int] = {"small_cnn": 128, "resnet18": 224, "lite0_head": 128}

# resnet18 carries the paper's settings; the others are CPU defaults that train in seconds.
DEFAULT_TRAINING: dict[str, dict[str, Any]] = {
    "small_cnn": {"lr": 1e-3, "batch_size": 32, "max_epochs": 8, "patience": 3},
    "resnet18": {"lr": 5e-5, "batch_size": 8, "max_epochs": 10, "patience": 3},
    "lite0_head": {"lr": 1e-3, "batch_size": 32, "max_epochs": 10, "patience": 3},
}


def build_classifier(name: str, *, seed: int | None = None, **kwargs: Any) -> nn.Module:
    """Instantiate the classifier registered as ``name`` with ``kwargs``.

    With ``seed`` the random initialisation is reproducible and the global torch RNG is left
    untouched. Raises ``KeyError`` naming the known classifiers for an unknown ``name``.
    """
    if name not in CLASSIFIERS:
        raise UnknownNameError(f"unknown classifier {name!r}; known: {sorted(CLASSIFIERS)}")
    if seed is None:
        return CLASSIFIERS[name](**kwargs)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CLASSIFIERS[name](**kwargs)
