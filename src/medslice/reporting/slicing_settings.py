"""What sliced each scenario x variant, as its ``slicing_settings`` recorded it, for the report's provenance.

A partial rerun with ``--params`` (say ``n_slices=5`` for one variant) leaves the other variants' slices as an
earlier run made them; the headline would then compare variants sliced differently, and the run parameters
would describe only the last run. The recorded settings show what really made each variant's slices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medslice.reporting.recorded_settings import describe_recorded_settings


def describe_slicing_settings(settings: Mapping[str, Mapping[str, Any]]) -> tuple[str, str | None]:
    """The provenance line for the slicings of a report, and a notice when they were not all alike.

    Parameters
    ----------
    settings : Mapping[str, Mapping[str, Any]]
        The recorded settings (``{"slicer": {...}, "seed": 42}``) of each sliced
        ``<scenario>.<variant>``.

    Returns
    -------
    tuple[str, str | None]
        ``(text, notice)``: the settings most slicings share, as JSON; ``notice`` is None when every
        slicing shares them, else names each slicing that differs and the settings in which it differs.
    """
    return describe_recorded_settings(
        settings,
        unit="slicings",
        unlike=(
            "Not every variant was sliced with the same settings, so the headline compares unlike slicings"
        ),
        advice=(
            "Rerun the odd ones out with the same settings (kedro run --from-nodes=<scenario>.<variant>."
            "discover_slices) to compare like with like."
        ),
    )
