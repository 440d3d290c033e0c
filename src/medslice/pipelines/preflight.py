"""Every settings check a run's nodes would make, made before the first node runs.

A node validates its own settings, but only when Kedro reaches it: a bad ``failure_injection.run`` was
refused after ingestion had written new versions. :func:`check_settings` runs the same validators on the
parameters the run's nodes take as inputs, found by their dataset names in the DAG, so a run that
would fail on its settings fails before it writes anything.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from kedro.io import DataCatalog
from kedro.pipeline import Pipeline

from medslice.errors import BadValueError, MedsliceError
from medslice.mimic.cohort import resolve_cohort_params
from medslice.pipelines.settings_keys import (
    EVALUATION_KEYS,
    EXPLANATION_KEYS,
    LLM_KEYS,
    PHRASE_KEYS,
    check_known_keys,
)
from medslice.scenarios.bootstrap import RunConfig
from medslice.scenarios.spec import ScenarioSpec
from medslice.slicing.per_bootstrap import PCA_FITS

RUN = "params:failure_injection.run"
SCENARIO = re.compile(r"params:failure_injection\.scenarios\.(?P<name>[^.]+)$")


class SettingsError(BadValueError):
    """A setting the run's nodes read is invalid; raised before any node runs."""


def check_scenario(name: str, scenario: Any, catalog: DataCatalog) -> None:
    """The scenario's spec, and the run settings it gets (``run`` with its own overrides)."""
    ScenarioSpec.from_dict(name, scenario)
    run = catalog.load(RUN) if RUN in catalog else {}
    RunConfig.for_scenario(run, scenario, name)


def check_explanation(explanation: Any) -> None:
    """``explanation`` and its ``phrases`` and ``llm`` blocks hold only keys the nodes read."""
    check_known_keys(explanation, EXPLANATION_KEYS, "explanation")
    check_known_keys((explanation or {}).get("phrases"), PHRASE_KEYS, "explanation.phrases")
    check_known_keys((explanation or {}).get("llm"), LLM_KEYS, "explanation.llm")


def check_pca_fit(pca_fit: Any) -> None:
    """``slice_discovery.pca_fit`` is one of :data:`PCA_FITS`."""
    if pca_fit not in PCA_FITS:
        raise BadValueError(f"slice_discovery.pca_fit must be one of {list(PCA_FITS)}, got {pca_fit!r}")


# Parameter dataset -> the check of its value. A scenario's check also reads `failure_injection.run`.
CHECKS: dict[str, Callable[[Any], object]] = {
    "params:ingestion.cohort": resolve_cohort_params,
    "params:explanation": check_explanation,
    "params:evaluation": lambda value: check_known_keys(value, EVALUATION_KEYS, "evaluation"),
    "params:slice_discovery.pca_fit": check_pca_fit,
}


def check_settings(pipeline: Pipeline, catalog: DataCatalog) -> None:
    """Run the check of every parameter the pipeline's nodes read, in the DAG's node order.

    Raises :class:`SettingsError` naming the setting and saying that nothing was run.
    """
    seen: set[str] = set()
    for node in pipeline.nodes:  # topological order: ingestion's settings are checked first
        for name in node.inputs:
            if name in seen or name not in catalog:
                continue
            seen.add(name)
            scenario = SCENARIO.match(name)
            try:
                if scenario is not None:
                    check_scenario(scenario["name"], catalog.load(name), catalog)
                elif name in CHECKS:
                    CHECKS[name](catalog.load(name))
            except MedsliceError as error:
                raise SettingsError(f"{str(error).rstrip('.')}; nothing was run.") from error
