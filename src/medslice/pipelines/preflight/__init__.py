"""Every check a run makes before its first node, in the order :data:`CHECKS` states.

The order puts what the user must fix first: a synthetic release aimed at a real download, then inputs
that do not exist (data to fetch or an earlier stage to run), then a named encoder that is absent, then
``--params`` and the seed, then every parameter block the nodes read, then the slicer's settings, and last
the user's predictions table, whose check needs the slicer's settings. Checks find the nodes they concern
by tag (:mod:`medslice.pipelines.tags`).
"""

from __future__ import annotations

from collections.abc import Callable

from medslice.pipelines.preflight.inputs import (
    MissingInputError,
    SyntheticReleaseError,
    check_missing_inputs,
    check_synthetic_release_location,
    missing_inputs,
)
from medslice.pipelines.preflight.parameters import (
    SettingsError,
    SlicerSettingsError,
    check_encoder_present,
    check_parameter_blocks,
    check_runtime_parameters_and_seed,
    check_slicer,
)
from medslice.pipelines.preflight.plan import RunPlan
from medslice.pipelines.preflight.predictions import check_user_predictions

CHECKS: tuple[Callable[[RunPlan], None], ...] = (
    check_synthetic_release_location,
    check_missing_inputs,
    check_encoder_present,
    check_runtime_parameters_and_seed,
    check_parameter_blocks,
    check_slicer,
    check_user_predictions,
)


def run_checks(plan: RunPlan) -> None:
    """Run :data:`CHECKS` in order; the first that refuses the run raises."""
    for check in CHECKS:
        check(plan)


__all__ = [
    "CHECKS",
    "MissingInputError",
    "RunPlan",
    "SettingsError",
    "SlicerSettingsError",
    "SyntheticReleaseError",
    "missing_inputs",
    "run_checks",
]
