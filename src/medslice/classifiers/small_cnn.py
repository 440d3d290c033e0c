"""A small CNN for grayscale chest X-rays: the CPU default classifier under audit."""

from __future__ import annotations

import torch
from torch import nn


def _conv_block(in_channels: int, out_channels: int, *, stride: int = 1) -> nn.Sequential:
    """conv3x3 - batch norm - ReLU - 2x2 max pool."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class SmallCNN(nn.Module):
    """Four conv-bn-relu-pool blocks, global average pooling and a linear layer to two logits.

    The first convolution has stride 2, so a 128 px input is 64 px after it and 8 px after the
    fourth pool; that keeps training on 1000 images to seconds per epoch on two CPU cores.

    Args:
        width: channels of the first block; each later block doubles them.
        n_blocks: number of conv blocks (3 or 4 for 128 px inputs).
        dropout: dropout before the final linear layer.
        n_classes: number of logits.

    Input: ``float32 (N, 1, H, W)`` in [0, 1]. Output: ``(N, n_classes)`` logits.
    """

    def __init__(self, width: int = 16, n_blocks: int = 4, dropout: float = 0.1, n_classes: int = 2) -> None:
        super().__init__()
        if n_blocks < 1:
            raise ValueError(f"n_blocks must be >= 1, got {n_blocks}")
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        blocks = [_conv_block(1, width, stride=2)]
        channels = width
        for _ in range(n_blocks - 1):
            blocks.append(_conv_block(channels, channels * 2))
            channels *= 2
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels, n_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of [0, 1] grayscale images."""
        # Centre and scale [0, 1] pixels to roughly unit variance, as the weight initialisation
        # assumes.
        features = self.features((images - 0.5) / 0.25)
        return self.classifier(self.dropout(torch.flatten(self.pool(features), 1)))
