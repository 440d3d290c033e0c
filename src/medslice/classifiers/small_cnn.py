"""A small CNN for grayscale chest X-rays: the CPU default classifier under audit."""

from __future__ import annotations

import torch
from torch import nn

from medslice.errors import BadValueError


def _conv_block(in_channels: int, out_channels: int, *, stride: int = 1) -> nn.Sequential:
    """conv3x3 - batch norm - 2x2 max pool - ReLU.

    The same function as conv - batch norm - ReLU - pool (ReLU is monotonic, so it commutes with a max,
    and both orders give the same gradients), with the ReLU and its backward pass on a quarter of the
    values. The layers without parameters sit at indices 2 (pool) and 3 (ReLU), so state dicts are the
    same in either order.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.MaxPool2d(2),
        nn.ReLU(inplace=True),
    )


class SmallCNN(nn.Module):
    """Four conv-bn-pool-relu blocks, global average pooling and a linear layer to two logits.

    The first convolution has stride 2, so a 128 px input is 64 px after it and 8 px after the
    fourth pool; that keeps training on 1000 images to seconds per epoch on two CPU cores. The
    convolution weights are stored ``channels_last`` (NHWC), which oneDNN's CPU kernels run about 1.6
    times faster than NCHW here (docs/decisions/0031-classifier-epoch-cost.md); inputs are taken in
    either layout.

    Parameters
    ----------
    width : int, default=16
        Channels of the first block; each later block doubles them.
    n_blocks : int, default=4
        Number of conv blocks (3 or 4 for 128 px inputs).
    dropout : float, default=0.1
        Dropout before the final linear layer.
    n_classes : int, default=2
        Number of logits.

    Notes
    -----
    Input: ``float32 (N, 1, H, W)`` in [0, 1]. Output: ``(N, n_classes)`` logits.
    """

    def __init__(self, width: int = 16, n_blocks: int = 4, dropout: float = 0.1, n_classes: int = 2) -> None:
        super().__init__()
        if n_blocks < 1:
            raise BadValueError(f"n_blocks must be >= 1, got {n_blocks}")
        if width < 1:
            raise BadValueError(f"width must be >= 1, got {width}")
        blocks = [_conv_block(1, width, stride=2)]
        channels = width
        for _ in range(n_blocks - 1):
            blocks.append(_conv_block(channels, channels * 2))
            channels *= 2
        self.features = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(channels, n_classes)
        self.features.to(memory_format=torch.channels_last)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of [0, 1] grayscale images."""
        # Centre and scale [0, 1] pixels to roughly unit variance, as the weight initialisation
        # assumes.
        scaled = ((images - 0.5) / 0.25).contiguous(memory_format=torch.channels_last)
        features = self.features(scaled)
        return self.classifier(self.dropout(torch.flatten(self.pool(features), 1)))
