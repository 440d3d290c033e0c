"""Pre-run checks of the run's settings: every check its nodes would make, made before the first node.

A node validates its own settings, but only when Kedro reaches it: a bad ``failure_injection.run`` was
refused after ingestion had written new versions. :func:`check_settings` runs the same validators on the
parameters the run's nodes take as inputs, found by their dataset names in the DAG, so a run that
would fail on its settings fails before it writes anything. The slicer's settings, the named encoder, the
seed and ``--params`` are checked here too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from kedro.io import DataCatalog

from medslice.encoders.settings import EmbeddingSettings
from medslice.errors import BadValueError, MedsliceError
from medslice.mimic.cohort import resolve_cohort_params
from medslice.pipelines.embedding.nodes import check_named_encoder
from medslice.pipelines.evaluation.settings import EvaluationSettings
from medslice.pipelines.preflight.plan import RunPlan
from medslice.pipelines.settings_keys import (
    UnknownSettingError,
    check_runtime_parameters,
)
from medslice.pipelines.tags import DISCOVERS_SLICES, TRAINS_ENCODER
from medslice.reporting.data_protection import ReportSettings
from medslice.scenarios.bootstrap import RunConfig
from medslice.scenarios.spec import ScenarioSpec
from medslice.slicing.per_bootstrap import PCA_FITS, check_slicer_settings

logger = logging.getLogger(__name__)

RUN = "params:failure_injection.run"
SLICER_PARAMETERS = "params:slice_discovery"
SCENARIO = re.compile(r"params:failure_injection\.scenarios\.(?P<name>[^.]+)$")


class SettingsError(BadValueError):
    """A setting the run's nodes read is invalid; raised before any node runs."""


class SlicerSettingsError(BadValueError):
    """The run's slicer settings are invalid; raised before any node runs."""


def check_scenario(name: str, scenario: Any, catalog: DataCatalog) -> None:
    """The scenario's spec, and the run settings it gets (``run`` with its own overrides)."""
    ScenarioSpec.from_dict(name, scenario)
    run = catalog.load(RUN) if RUN in catalog else {}
    RunConfig.for_scenario(run, scenario, name)


def check_pca_fit(pca_fit: Any) -> None:
    """``slice_discovery.pca_fit`` is one of :data:`PCA_FITS`."""
    if pca_fit not in PCA_FITS:
        raise BadValueError(f"slice_discovery.pca_fit must be one of {list(PCA_FITS)}, got {pca_fit!r}")


# Parameter dataset -> the check of its value. A scenario's check also reads `failure_injection.run`.
CHECKS: dict[str, Callable[[Any], object]] = {
    "params:ingestion.cohort": resolve_cohort_params,
    "params:evaluation": EvaluationSettings.of,
    "params:report": ReportSettings.of,
    "params:slice_discovery.pca_fit": check_pca_fit,
}


def check_parameter_blocks(plan: RunPlan) -> None:
    """Run the check of every parameter the pipeline's nodes read, in the DAG's node order.

    Raises :class:`SettingsError` naming the setting and saying that nothing was run.
    """
    seen: set[str] = set()
    for node in plan.pipeline.nodes:  # topological order: ingestion's settings are checked first
        for name in node.inputs:
            if name in seen or name not in plan.catalog:
                continue
            seen.add(name)
            scenario = SCENARIO.match(name)
            try:
                if scenario is not None:
                    check_scenario(scenario["name"], plan.catalog.load(name), plan.catalog)
                elif name in CHECKS:
                    CHECKS[name](plan.catalog.load(name))
            except MedsliceError as error:
                raise SettingsError(f"{str(error).rstrip('.')}; nothing was run.") from error


def check_runtime_parameters_and_seed(plan: RunPlan) -> None:
    """Refuse ``--params`` that no node can read, and a seed that is not a non-negative integer.

    Kedro merges any ``--params`` path into the parameters, so a misspelt one would run with the defaults
    and say nothing; second-level doubts are logged as warnings.
    """
    runtime = plan.run_params.get("runtime_params") or {}
    if runtime and plan.file_parameters is not None:
        for note in check_runtime_parameters(runtime, plan.file_parameters):
            logger.warning(note)
    seed = plan.load("params:seed")
    if "params:seed" in plan.catalog and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise UnknownSettingError(f"seed must be a non-negative integer; got {seed!r}")


def check_encoder_present(plan: RunPlan) -> None:
    """Refuse a run whose named encoder (e.g. BiomedCLIP in ``conf/mimic``) is absent.

    Kedro orders independent nodes by name, so every scenario's classifiers would be trained before
    ``train_encoder`` got to say that the encoder is missing.
    """
    if plan.has_role(TRAINS_ENCODER) and "params:embedding" in plan.catalog:
        check_named_encoder(EmbeddingSettings.of(plan.catalog.load("params:embedding")))


def slicer_config(plan: RunPlan) -> dict[str, Any] | None:
    """The run's ``slice_discovery.slicer`` settings when it discovers slices; None otherwise."""
    if not plan.has_role(DISCOVERS_SLICES) or SLICER_PARAMETERS not in plan.catalog:
        return None
    return dict(plan.catalog.load(SLICER_PARAMETERS).get("slicer", {}))


def check_slicer(plan: RunPlan) -> None:
    """Build the configured slicer and check its settings as ``fit`` would, when the run slices."""
    config = slicer_config(plan)
    if config is None:
        return
    try:
        check_slicer_settings(config)
    except (TypeError, ValueError) as error:
        raise SlicerSettingsError(f"slice_discovery.slicer: {error}; nothing was run.") from error
