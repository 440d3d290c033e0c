"""A classifier configuration as it appears in parameters: architecture, input size and training."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from medslice.classifiers.registry import CLASSIFIERS, DEFAULT_IMAGE_SIZE, DEFAULT_TRAINING

TRAINING_KEYS: tuple[str, ...] = (
    "lr",
    "batch_size",
    "max_epochs",
    "patience",
    "augment",
    "early_stopping",
)


@dataclass(frozen=True)
class ClassifierConfig:
    """What to build and how to train it.

    Built from a flat mapping such as ``{"name": "small_cnn", "image_size": 128, "lr": 1e-3}``: the
    training keys (``TRAINING_KEYS``) and ``image_size`` are taken out, unset ones fall back to the
    architecture's defaults, and every other key is passed to the model's constructor.
    """

    name: str = "small_cnn"
    image_size: int = 128
    lr: float = 1e-3
    batch_size: int = 32
    max_epochs: int = 8
    patience: int = 3
    augment: bool = False
    early_stopping: bool = True
    model_kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any] | None) -> ClassifierConfig:
        """Validate a classifier mapping (``None`` means the ``small_cnn`` defaults)."""
        values = dict(mapping or {})
        name = values.pop("name", "small_cnn")
        if name not in CLASSIFIERS:
            raise ValueError(f"classifier.name {name!r} is unknown; known: {sorted(CLASSIFIERS)}")
        training = {**DEFAULT_TRAINING[name], "augment": False, "early_stopping": True}
        training.update({k: values.pop(k) for k in TRAINING_KEYS if k in values})
        image_size = values.pop("image_size", DEFAULT_IMAGE_SIZE[name])
        for key in ("image_size", "batch_size", "max_epochs", "patience"):
            value = image_size if key == "image_size" else training[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"classifier.{key} must be a positive integer, got {value!r}")
        for key in ("augment", "early_stopping"):
            if not isinstance(training[key], bool):
                raise ValueError(f"classifier.{key} must be true or false, got {training[key]!r}")
        if not float(training["lr"]) > 0:
            raise ValueError(f"classifier.lr must be positive, got {training['lr']!r}")
        return cls(
            name=name,
            image_size=int(image_size),
            lr=float(training["lr"]),
            batch_size=int(training["batch_size"]),
            max_epochs=int(training["max_epochs"]),
            patience=int(training["patience"]),
            augment=training["augment"],
            early_stopping=training["early_stopping"],
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
        }
