"""The paper's audited classifier: ImageNet ResNet-18 with an MLP head, grayscale as 3 channels."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn
from torchvision.models import resnet18

from medslice.classifiers.heads import mlp_head
from medslice.errors import BadValueError, DamagedFileError, MissingFileError

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


NOT_A_CHECKPOINT_FIX = (
    "Save torchvision's ResNet-18 ImageNet checkpoint (resnet18-f37072fd.pth) there, or leave weights_path "
    "unset to train from a random initialisation."
)


def load_state_dict_file(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a local ``.pth``/``.pt`` (maybe wrapped in ``state_dict``) or ``.safetensors`` file."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(
            f"classifier weights_path {str(path)!r} does not exist; download the torchvision "
            "ResNet-18 ImageNet checkpoint (resnet18-f37072fd.pth) to that path, or leave "
            "weights_path unset to train from a random initialisation"
        )
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch and safetensors raise many kinds for a damaged file
        raise DamagedFileError(
            f"classifier weights_path cannot be read as a checkpoint ({type(error).__name__})",
            path=path,
            fix=NOT_A_CHECKPOINT_FIX,
        ) from error
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise DamagedFileError(
            "classifier weights_path holds no state dict of tensors", path=path, fix=NOT_A_CHECKPOINT_FIX
        )
    return state


class ResNet18Classifier(nn.Module):
    """torchvision ResNet-18 whose ``fc`` is the paper's MLP head (512-512-128-2, dropout 0.2).

    Parameters
    ----------
    weights_path : str or Path or None, default=None
        A local torchvision ResNet-18 ImageNet checkpoint. Without it the backbone is
        randomly initialised and a warning says so (no download is ever attempted).
    dropout : float, default=0.2
        Head dropout.
    n_classes : int, default=2
        Number of logits.

    Notes
    -----
    Input: ``float32 (N, 1, H, W)`` in [0, 1] (the paper uses 224 px); it is copied to three
    channels and ImageNet-normalised inside the model. Output: ``(N, n_classes)`` logits.
    """

    def __init__(
        self, weights_path: str | Path | None = None, dropout: float = 0.2, n_classes: int = 2
    ) -> None:
        super().__init__()
        self.backbone = resnet18(weights=None)
        if weights_path is not None:
            state = load_state_dict_file(weights_path)
            # The checkpoint carries the ImageNet fc layer, which the head replaces below.
            backbone_state = {k: v for k, v in state.items() if not k.startswith("fc.")}
            try:
                missing, unexpected = self.backbone.load_state_dict(backbone_state, strict=False)
            except RuntimeError as error:  # same names, other shapes: e.g. a ResNet-34 or -50
                raise BadValueError(
                    f"{weights_path} is not a torchvision ResNet-18 checkpoint: its tensors have other "
                    f"shapes ({str(error).strip().splitlines()[-1][:200]})"
                ) from error
            missing = [k for k in missing if not k.startswith("fc.")]
            if missing or unexpected:
                raise BadValueError(
                    f"{weights_path} is not a torchvision ResNet-18 checkpoint: missing "
                    f"{missing[:5]}, unexpected {list(unexpected)[:5]}"
                )
        else:
            warnings.warn(
                "ResNet-18 classifier: no weights_path configured, so the backbone is randomly "
                "initialised (set classifier.weights_path to a local ImageNet checkpoint)",
                stacklevel=2,
            )
        self.backbone.fc = mlp_head(512, (512, 128), dropout=dropout, n_classes=n_classes)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of [0, 1] grayscale images."""
        rgb = images.expand(-1, 3, -1, -1)
        return self.backbone((rgb - self.mean) / self.std)
