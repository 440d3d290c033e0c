"""Which classifier each scenario audited, as its ``injection_qa`` recorded it, for the provenance."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from medslice.reporting.recorded_settings import describe_recorded_settings


def describe_classifiers(injection_qa: Mapping[str, Mapping[str, Any]]) -> tuple[str, str | None]:
    """The provenance line for the classifiers under audit, as each scenario's injection QA recorded them.

    Scenarios whose QA records no classifier (older runs) are left out. A notice names the scenarios
    whose classifier differs from the others' (e.g. one rerun with ``--env=paper_classifier``), because
    the run parameters under Provenance then describe only the last run.
    """
    recorded = {
        scenario: qa["classifier"]
        for scenario, qa in injection_qa.items()
        if isinstance(qa, Mapping) and isinstance(qa.get("classifier"), Mapping)
    }
    return describe_recorded_settings(
        recorded,
        unit="scenarios",
        unlike="Not every scenario audited the same classifier",
        advice=(
            "Each scenario's slices are found in that scenario's own classifier's errors; to audit one "
            "classifier everywhere, rerun the odd ones out "
            "(kedro run --pipeline=audit --namespaces=<scenario>) with the settings of the others."
        ),
    )
