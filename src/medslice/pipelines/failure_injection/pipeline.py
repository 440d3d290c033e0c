"""The `failure_injection` pipeline: one namespace per declared scenario."""

from __future__ import annotations

from collections.abc import Iterable

from kedro.pipeline import Pipeline, node

from medslice.pipelines import tags
from medslice.pipelines.failure_injection import nodes
from medslice.pipelines.namespaces import bind, per_scenario

SHARED_INPUTS = {"cohort", "mimic_cxr_jpg", "bootstrap_checkpoints"}


def _template(scenario: str) -> Pipeline:
    inject = bind(nodes.inject_failures, scenario_name=scenario)
    return Pipeline(
        [
            node(
                inject,
                inputs=[
                    "cohort",
                    "mimic_cxr_jpg",
                    "bootstrap_checkpoints",
                    "params:scenario",
                    "params:failure_injection.run",
                    "params:seed",
                ],
                outputs=["train_set", "audit_set", "classifiers", "predictions", "injection_qa"],
                name="inject_failures",
            )
        ]
    )


def create_pipeline(scenarios: Iterable[str] = (), **kwargs: object) -> Pipeline:
    """The template instantiated once per scenario, e.g. ``spurious_correlation.predictions``."""
    return Pipeline(
        per_scenario(_template, scenarios, shared_inputs=SHARED_INPUTS), tags=tags.FAILURE_INJECTION
    )


def create_user_predictions_pipeline(scenario: str = "user", **kwargs: object) -> Pipeline:
    """Validate a user's predictions table into ``<scenario>.predictions`` for the downstream stages."""
    return Pipeline(
        [
            node(
                nodes.validate_user_predictions,
                inputs=["user_predictions", "cohort", "images", "params:slice_discovery"],
                outputs=f"{scenario}.predictions",
                name=f"{scenario}.validate_user_predictions",
                tags=tags.VALIDATES_USER_PREDICTIONS,
            )
        ],
        tags=tags.FAILURE_INJECTION,
    )
