"""Modality variants: which embeddings a slice-discovery run fuses, named like ``image_report``."""

from __future__ import annotations

from medslice.errors import BadValueError

MODALITIES: tuple[str, ...] = ("image", "report", "metadata")


def parse_variant(name: str) -> list[str]:
    """Return the modalities of a variant name, in the name's order.

    Names join modalities with ``_`` or ``+`` (``"image_report"``, ``"image+report+metadata"``). Unknown
    or repeated modalities raise a ValueError that lists the known ones.
    """
    if not isinstance(name, str) or not name.strip():
        raise BadValueError(f"variant name must be a non-empty string; got {name!r}")
    parts = [part.strip() for part in name.replace("+", "_").split("_")]
    unknown = [part for part in parts if part not in MODALITIES]
    if unknown:
        raise BadValueError(f"variant {name!r} names unknown modalities {unknown}; known: {list(MODALITIES)}")
    if len(set(parts)) != len(parts):
        raise BadValueError(f"variant {name!r} repeats a modality")
    return parts


def variant_name(modalities: list[str] | tuple[str, ...]) -> str:
    """Canonical variant name for a set of modalities (``["report", "image"]`` -> ``"image_report"``)."""
    ordered = [modality for modality in MODALITIES if modality in modalities]
    extra = sorted(set(modalities) - set(MODALITIES))
    if extra or not ordered:
        raise BadValueError(f"modalities must be a non-empty subset of {list(MODALITIES)}; got {modalities}")
    return "_".join(ordered)
