"""Slice discovery: find where a classifier fails systematically, in a notebook-friendly API.

All slicers follow scikit-learn conventions: ``fit(embeddings, targets, pred_probs)`` returns self and
``predict_proba(...)`` returns one membership column per discovered slice (``n_slices_`` of them, possibly
zero when there is nothing to slice; see :mod:`medslice.slicing.base`).

>>> from medslice.slicing import DominoSlicer, fuse_modalities, summarize_slices
"""

from medslice.slicing.attribute_baseline import AttributeBaseline
from medslice.slicing.base import SliceDiscoveryWarning, Slicer
from medslice.slicing.domino import DominoSlicer
from medslice.slicing.error_cluster import ErrorClusterSlicer
from medslice.slicing.fusion import broadcast_study_embeddings, fuse_modalities
from medslice.slicing.spotlight import SpotlightSlicer
from medslice.slicing.summary import SUMMARY_COLUMNS, summarize_slices
from medslice.slicing.variants import MODALITIES, parse_variant, variant_name

__all__ = [
    "MODALITIES",
    "SUMMARY_COLUMNS",
    "AttributeBaseline",
    "DominoSlicer",
    "ErrorClusterSlicer",
    "SliceDiscoveryWarning",
    "Slicer",
    "SpotlightSlicer",
    "broadcast_study_embeddings",
    "fuse_modalities",
    "parse_variant",
    "summarize_slices",
    "variant_name",
]
