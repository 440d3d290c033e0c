"""Project pipelines, registered by name."""

from __future__ import annotations

from kedro.pipeline import Pipeline

from medslice.pipelines import (
    embedding,
    evaluation,
    explanation,
    failure_injection,
    ingestion,
    reporting,
    slice_discovery,
    synthetic,
)
from medslice.pipelines.declared import declared_scenarios, declared_variants

USER_SCENARIO = "user"


def register_pipelines() -> dict[str, Pipeline]:
    """Register every pipeline by name.

    ``audit`` chains the stages that run on an existing release; ``__default__`` is ``audit``.
    ``synthetic`` writes the built-in dataset and is never part of ``audit``, so a real download is never
    touched. ``reporting`` rebuilds the summary, charts and report from stored results
    (``kedro run --pipelines=reporting``). ``audit_predictions`` audits a user's own predictions table
    (``user_predictions``) instead of injected failures, under the ``user`` namespace.
    """
    scenarios, variants = declared_scenarios(), declared_variants()
    stages = {
        "ingestion": ingestion.create_pipeline(),
        "embedding": embedding.create_pipeline(),
        "failure_injection": failure_injection.create_pipeline(scenarios),
        "slice_discovery": slice_discovery.create_pipeline(scenarios, variants),
        "explanation": explanation.create_pipeline(scenarios, variants),
        "evaluation": evaluation.create_pipeline(scenarios, variants),
        "reporting": reporting.create_pipeline(scenarios, variants),
    }
    audit = sum(stages.values(), Pipeline([]))
    user = [USER_SCENARIO]
    audit_predictions = (
        stages["ingestion"]
        + stages["embedding"]
        + failure_injection.create_user_predictions_pipeline(USER_SCENARIO)
        + slice_discovery.create_pipeline(user, variants)
        + explanation.create_pipeline(user, variants)
        + evaluation.create_pipeline(user, variants, report_namespace=USER_SCENARIO)
        + reporting.create_pipeline(user, variants, with_injection_qa=False, namespace=USER_SCENARIO)
    )
    return {
        "synthetic": synthetic.create_pipeline(),
        **stages,
        "audit": audit,
        "audit_predictions": audit_predictions,
        "__default__": audit,
    }
