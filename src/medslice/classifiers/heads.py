"""The paper's classification head: an MLP 512 -> 512 -> 128 -> 2 with dropout 0.2."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


def mlp_head(
    in_features: int,
    hidden: Sequence[int] = (512, 128),
    *,
    dropout: float = 0.2,
    n_classes: int = 2,
) -> nn.Sequential:
    """An MLP ``in_features -> hidden... -> n_classes``, ReLU and dropout after each hidden layer.

    With ``in_features=512`` and the defaults this is the paper's 512 -> 512 -> 128 -> 2 head.
    """
    layers: list[nn.Module] = []
    width = in_features
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU(inplace=True), nn.Dropout(dropout)]
        width = size
    layers.append(nn.Linear(width, n_classes))
    return nn.Sequential(*layers)
