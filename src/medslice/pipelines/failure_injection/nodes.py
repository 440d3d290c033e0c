"""Nodes of the `failure_injection` pipeline: thin wrappers over :mod:`medslice.scenarios`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from medslice.mimic.reader import MimicCxrJpg
from medslice.runner.checkpoints import CheckpointStore
from medslice.scenarios import RunConfig, ScenarioSpec, run_scenario, validate_predictions
from medslice.slicing.per_bootstrap import check_slicer_settings


def inject_failures(
    cohort: pd.DataFrame,
    mimic_cxr_jpg: MimicCxrJpg,
    bootstrap_checkpoints: CheckpointStore,
    scenario: dict[str, Any],
    run: dict[str, Any],
    seed: int,
    *,
    scenario_name: str,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, Any], pd.DataFrame, dict[str, Any]]:
    """Train ``n_classifiers`` flawed classifiers and audit each on ``audit_draws`` audit sets.

    Every finished classifier and bootstrap is kept in ``bootstrap_checkpoints`` at once, so a rerun with the
    same settings and inputs (or a run resumed after a kill) recomputes only what is missing. Under
    ``medslice.runner.DaskRunner`` the units spread over the cluster's workers.

    Parameters
    ----------
    cohort : pd.DataFrame
        The cohort table.
    mimic_cxr_jpg : MimicCxrJpg
        The release the cohort's ``image_path`` values are relative to.
    bootstrap_checkpoints : CheckpointStore
        Where finished units are kept.
    scenario : dict[str, Any]
        One entry of ``failure_injection.scenarios``.
    run : dict[str, Any]
        ``failure_injection.run``: the design, retries, the accuracy-gap check and the classifier.
    seed : int
        The project seed.
    scenario_name : str
        The scenario's key (bound by the pipeline; it names the scenario in errors).

    Returns
    -------
    tuple[pd.DataFrame, pd.DataFrame, dict[int, Any], pd.DataFrame, dict[str, Any]]
        Training sets, audit sets, classifier weights per classifier, predictions and the injection QA.

    Raises
    ------
    ScenarioError
        The scenario mapping is invalid.
    RunConfigError
        ``run`` has an unknown key or a value of the wrong type or range (the message
        names ``failure_injection.run.<key>``).
    ClassifierConfigError
        ``run.classifier`` is invalid (``failure_injection.run.classifier.<key>``).
    """
    spec = ScenarioSpec.from_dict(scenario_name, scenario)
    # Validated here, not coerced with int()/float(): a misspelt or non-numeric `--params` entry
    # must fail with the parameter's name instead of being ignored or failing deep inside a run.
    settings = RunConfig.for_scenario(run, scenario, scenario_name)
    result = run_scenario(
        cohort,
        spec,
        mimic_cxr_jpg.root,
        **settings.to_dict(),
        seed=seed,
        checkpoints=bootstrap_checkpoints,
        release_identity=mimic_cxr_jpg.identity(),
    )
    return result.train_sets, result.audit_sets, result.classifiers, result.predictions, result.qa


def validate_user_predictions(
    user_predictions: pd.DataFrame,
    cohort: pd.DataFrame,
    images: pd.DataFrame,
    slice_discovery: dict[str, Any],
) -> pd.DataFrame:
    """Admit a user's own predictions table (``dicom_id``, ``target``, ``prob``) in place of injected ones.

    ``images`` (the whole release) tells ids the ingestion settings left out of the cohort from ids of
    another release; the slicer settings give the fewest rows a bootstrap needs.
    """
    return validate_predictions(
        user_predictions,
        cohort,
        release_ids=images["dicom_id"],
        min_rows_per_bootstrap=check_slicer_settings(slice_discovery.get("slicer", {})),
    )
