"""A modality variant of ``slice_discovery.variants`` as typed settings."""

from __future__ import annotations

from dataclasses import dataclass

from medslice.errors import BadValueError
from medslice.slicing.variants import parse_variant
from medslice.typed_settings import Settings


@dataclass(frozen=True)
class VariantSettings(Settings):
    """One variant: which embeddings are fused, how, and to how many dimensions.

    Variants are declared only in the parameters (``slice_discovery.variants``); each becomes a namespace.

    Attributes
    ----------
    modalities : tuple[str, ...]
        The fused modalities, e.g. ``[image, report]``.
    weights : dict[str, float] or None
        A weight per modality applied after L2 normalisation (1 when absent).
    max_components : int
        The fused matrix's PCA keeps at most this many dimensions.
    """

    WHERE = "slice_discovery.variants.<variant>"

    modalities: tuple[str, ...]
    weights: dict[str, float] | None = None
    max_components: int = 512

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.modalities:
            raise BadValueError("a slice_discovery variant needs a non-empty `modalities` list")
        parse_variant("_".join(self.modalities))
