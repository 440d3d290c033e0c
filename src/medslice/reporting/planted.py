"""The planted failures behind an audit, read from each scenario's ``injection_qa``.

A slice can only be discovered if the classifier fails on it more than elsewhere. The report shows, per
scenario, whether the injected failure took (the accuracy gap the acceptance check used) and whether it
is specific to the slice: the paper's within-class gap compares the slice with the other cases of the
same target class. A failure that is large overall but not within the class is the classifier being worse
on a whole class, and no slicer can pin it on the planted attribute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from medslice.errors import BadValueError

REQUIRED_QA_KEYS = ("n_bootstraps", "n_accepted", "total_retries", "mean_check_gap", "min_gap")


@dataclass(frozen=True)
class PlantedFailure:
    """One scenario's injected failure, as its ``injection_qa`` measured it.

    Attributes
    ----------
    scenario : str
        The scenario name.
    n_bootstraps : int
        Bootstraps run.
    n_accepted : int
        Bootstraps whose gap reached ``min_gap`` within the allowed redraws.
    total_retries : int
        Redraws over all bootstraps.
    mean_check_gap : float
        Mean accuracy gap (non-slice minus slice) on the check sets.
    mean_within_class_gap : float
        Mean of the paper's within-class gap on the same sets; NaN when the QA
        predates it.
    min_gap : float
        The acceptance threshold.
    ideal_error_slice_precision : float
        Mean over accepted bootstraps of the paper precision@10 of the best
        slice made only of misclassified cases (:func:`medslice.evaluation.ideal_error_slice_precision`);
        NaN when the metrics do not hold it.
    n_classifiers : int
        Trained classifiers (0 when the QA predates the hierarchical design).
    audit_draws : int
        Audit sets per classifier (0 when the QA predates it).
    n_accepted_classifiers : int
        Classifiers whose failure check passed.
    """

    scenario: str
    n_bootstraps: int
    n_accepted: int
    total_retries: int
    mean_check_gap: float
    mean_within_class_gap: float
    min_gap: float
    ideal_error_slice_precision: float = math.nan
    n_classifiers: int = 0
    audit_draws: int = 0
    n_accepted_classifiers: int = 0

    @property
    def design(self) -> str:
        """``"3 classifiers x 10 audit draws"``, or ``"not recorded"`` for a QA of the flat design."""
        if not self.n_classifiers:
            return "not recorded"
        return f"{self.n_classifiers} classifiers x {self.audit_draws} audit draws"

    @property
    def slice_specific(self) -> bool | None:
        """Whether the within-class gap reaches the threshold too; ``None`` when it was not measured."""
        if math.isnan(self.mean_within_class_gap):
            return None
        return self.mean_within_class_gap >= self.min_gap

    @property
    def verdict(self) -> str:
        """A one-line reading for the report."""
        if self.n_accepted == 0:
            return "the failure did not take in any bootstrap: the metrics have nothing to score"
        if self.slice_specific is None:
            return "within-class gap not recorded (rerun the failure injection)"
        if self.slice_specific:
            return "slice-specific: the slice fails more than the rest of its class"
        return (
            "not slice-specific: the classifier fails the rest of the slice's class about as often, "
            "so slice discovery has little to single out"
        )


def planted_failures(
    qa_by_scenario: Mapping[str, Mapping[str, Any]], ideal_scores: Mapping[str, float] | None = None
) -> list[PlantedFailure]:
    """One :class:`PlantedFailure` per scenario, in the order given.

    ``ideal_scores`` maps scenarios to their ideal error slice's precision@10
    (:func:`medslice.reporting.headline.ideal_error_slice_scores`); scenarios it lacks get NaN.

    Raises
    ------
    ValueError
        A QA mapping lacks one of ``REQUIRED_QA_KEYS`` (the message names the scenario).
    """
    rows = []
    for scenario, qa in qa_by_scenario.items():
        missing = [key for key in REQUIRED_QA_KEYS if key not in qa]
        if missing:
            raise BadValueError(
                f"injection_qa of scenario {scenario!r} lacks {missing}; is it an injection_qa?"
            )
        within = qa.get("mean_check_within_class_gap")
        rows.append(
            PlantedFailure(
                scenario=str(scenario),
                n_bootstraps=int(qa["n_bootstraps"]),
                n_accepted=int(qa["n_accepted"]),
                total_retries=int(qa["total_retries"]),
                mean_check_gap=float(qa["mean_check_gap"]),
                mean_within_class_gap=float("nan") if within is None else float(within),
                min_gap=float(qa["min_gap"]),
                ideal_error_slice_precision=float((ideal_scores or {}).get(str(scenario), math.nan)),
                n_classifiers=int(qa.get("n_classifiers", 0)),
                audit_draws=int(qa.get("audit_draws", 0)),
                n_accepted_classifiers=int(qa.get("n_accepted_classifiers", 0)),
            )
        )
    return rows
