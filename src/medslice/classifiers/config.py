"""A classifier configuration as it appears in parameters: architecture, input size and training."""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from medslice.classifiers.registry import CLASSIFIERS, DEFAULT_IMAGE_SIZE, DEFAULT_TRAINING
from medslice.errors import BadValueError, closest

TRAINING_KEYS: tuple[str, ...] = (
    "lr",
    "batch_size",
    "max_epochs",
    "patience",
    "augment",
    "early_stopping",
    "device",
)
INTEGER_KEYS: tuple[str, ...] = ("image_size", "batch_size", "max_epochs", "patience")
SWITCH_KEYS: tuple[str, ...] = ("augment", "early_stopping")
DEVICE_TYPES: tuple[str, ...] = ("cpu", "cuda", "mps")


class ClassifierConfigError(BadValueError):
    """A classifier mapping is invalid; the message names the offending key (``classifier.<key>``)."""


def did_you_mean(unknown: Iterable[str], known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the first unknown key with a close known key, else ``""``."""
    known = list(known)
    for key in unknown:
        match = closest(key, known)
        if match:
            return f" (did you mean {match!r}?)"
    return ""


def model_keys(name: str) -> tuple[str, ...] | None:
    """The keyword arguments the constructor of classifier ``name`` accepts (``None``: any, via ``**kwargs``).

    Read from the signature so that a new constructor argument is accepted without listing it here.
    """
    parameters = inspect.signature(CLASSIFIERS[name]).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in parameters if p.kind in keyword)


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` when it is not one (booleans are not numbers).

    A string that spells a number counts: PyYAML (YAML 1.1) reads ``1e-4`` as a string.
    """
    number: float | None = None
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    elif isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number = float(value)
    return number if number is not None and math.isfinite(number) else None


def _positive_number(key: str, value: Any) -> float:
    """A finite float > 0, or a ClassifierConfigError naming the key and the value."""
    number = finite_number(value)
    if number is None or number <= 0:
        raise ClassifierConfigError(f"{key} must be a positive number, got {value!r}")
    return number


@dataclass(frozen=True)
class ClassifierConfig:
    """What to build and how to train it.

    Built from a flat mapping such as ``{"name": "small_cnn", "image_size": 128, "lr": 1e-3}``: the
    training keys (``TRAINING_KEYS``) and ``image_size`` are taken out, unset ones fall back to the
    architecture's defaults, and every other key is passed to the model's constructor, so it must be
    one of that constructor's keyword arguments (``model_keys(name)``).
    """

    name: str = "small_cnn"
    image_size: int = 128
    lr: float = 1e-3
    batch_size: int = 32
    max_epochs: int = 8
    patience: int = 3
    augment: bool = False
    early_stopping: bool = True
    device: str = "cpu"
    model_kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any] | None, *, key: str = "classifier") -> ClassifierConfig:
        """Validate a classifier mapping (``None`` means the ``small_cnn`` defaults).

        ``key`` is where the mapping sits in the parameters (e.g. ``failure_injection.run.classifier``);
        error messages name ``<key>.<entry>``. Raises ``ClassifierConfigError`` (a ``ValueError``) for
        an unknown ``name``, a key that is neither a training key, ``image_size`` nor a keyword
        argument of that classifier's constructor, and a value of the wrong type or range.
        """
        if mapping is not None and not isinstance(mapping, Mapping):
            raise ClassifierConfigError(
                f"{key} must be a mapping such as {{name: small_cnn, image_size: 128}}, got {mapping!r}"
            )
        values = dict(mapping or {})
        name = values.pop("name", "small_cnn")
        if not isinstance(name, str) or name not in CLASSIFIERS:
            raise ClassifierConfigError(f"{key}.name {name!r} is unknown; known: {sorted(CLASSIFIERS)}")
        _check_keys(key, name, values)
        _check_model_values(key, name, values)
        training = {**DEFAULT_TRAINING[name], "augment": False, "early_stopping": True, "device": "cpu"}
        training.update({k: values.pop(k) for k in TRAINING_KEYS if k in values})
        image_size = values.pop("image_size", DEFAULT_IMAGE_SIZE[name])
        for entry in INTEGER_KEYS:
            value = image_size if entry == "image_size" else training[entry]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ClassifierConfigError(f"{key}.{entry} must be a positive integer, got {value!r}")
        for entry in SWITCH_KEYS:
            if not isinstance(training[entry], bool):
                raise ClassifierConfigError(f"{key}.{entry} must be true or false, got {training[entry]!r}")
        _check_device(f"{key}.device", training["device"])
        return cls(
            name=name,
            image_size=int(image_size),
            lr=_positive_number(f"{key}.lr", training["lr"]),
            batch_size=int(training["batch_size"]),
            max_epochs=int(training["max_epochs"]),
            patience=int(training["patience"]),
            augment=training["augment"],
            early_stopping=training["early_stopping"],
            device=training["device"],
            model_kwargs=values,
        )

    def to_dict(self) -> dict[str, Any]:
        """The flat mapping form (round-trips through ``from_dict``)."""
        return {
            "name": self.name,
            "image_size": self.image_size,
            "lr": self.lr,
            "batch_size": self.batch_size,
            "max_epochs": self.max_epochs,
            "patience": self.patience,
            "augment": self.augment,
            "early_stopping": self.early_stopping,
            "device": self.device,
            **self.model_kwargs,
        }

    def training_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``train_classifier`` (all but ``seed``)."""
        return {
            "lr": self.lr,
            "batch_size": self.batch_size,
            "max_epochs": self.max_epochs,
            "patience": self.patience,
            "augment": self.augment,
            "early_stopping": self.early_stopping,
            "device": self.device,
        }


def _check_device(key: str, value: Any) -> None:
    """Refuse a device setting torch cannot parse; whether this machine has it is checked at training."""
    if value == "auto":
        return
    try:
        kind = torch.device(value).type if isinstance(value, str) else None
    except RuntimeError:
        kind = None
    if kind not in DEVICE_TYPES:
        raise ClassifierConfigError(f"{key} must be 'cpu', 'cuda', 'cuda:N', 'mps' or 'auto', got {value!r}")


def _check_keys(key: str, name: str, values: Mapping[str, Any]) -> None:
    """Refuse keys that are neither settings nor constructor arguments of classifier ``name``.

    Without this a typo such as ``max_epoch`` would travel to the model's constructor and fail there,
    far from the parameters, as ``__init__() got an unexpected keyword argument``.
    """
    accepted = model_keys(name)
    if accepted is None:
        return
    settings = ("image_size", *TRAINING_KEYS)
    unknown = sorted(str(k) for k in set(values) - set(settings) - set(accepted))
    if unknown:
        raise ClassifierConfigError(
            f"{key} has unknown key(s) {unknown} for classifier {name!r}"
            f"{did_you_mean(unknown, (*settings, *accepted))}; known: name, {', '.join(settings)}, "
            f"and {name}'s model arguments {list(accepted)}"
        )


def _check_model_values(key: str, name: str, values: Mapping[str, Any]) -> None:
    """Refuse model arguments whose type differs from the constructor default's, and non-binary heads.

    The constructors would otherwise fail deep inside (``'<' not supported between 'str' and 'int'``)
    or, for ``n_classes``, build a head whose extra logits the binary training loop silently ignores.
    """
    if values.get("n_classes", 2) != 2:
        raise ClassifierConfigError(
            f"{key}.n_classes must be 2: the audited classifiers are binary, got {values['n_classes']!r}"
        )
    defaults = {
        p.name: p.default
        for p in inspect.signature(CLASSIFIERS[name]).parameters.values()
        if p.default is not inspect.Parameter.empty
    }
    for entry, value in values.items():
        default = defaults.get(entry)
        if isinstance(default, bool):
            valid = isinstance(value, bool)
        elif isinstance(default, int):
            valid = isinstance(value, int | np.integer) and not isinstance(value, bool)
        elif isinstance(default, float):
            valid = finite_number(value) is not None and not isinstance(value, str)
        else:
            continue
        if not valid:
            raise ClassifierConfigError(
                f"{key}.{entry} must be a {type(default).__name__} like its default {default!r}, "
                f"got {value!r}"
            )
