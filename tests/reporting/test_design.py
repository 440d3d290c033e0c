"""summary.md states each scenario's design and the bootstraps each cell rests on."""

from __future__ import annotations

import pandas as pd

from medslice.evaluation import summarize_metrics, tidy_metrics
from medslice.reporting.design import ONE_CLASSIFIER_NOTE, design_markdown


def _qa(n_classifiers: int, audit_draws: int, accepted_classifiers: int) -> dict:
    return {
        "n_bootstraps": n_classifiers * audit_draws,
        "n_accepted": accepted_classifiers * audit_draws,
        "n_classifiers": n_classifiers,
        "audit_draws": audit_draws,
        "n_accepted_classifiers": accepted_classifiers,
        "total_retries": 0,
        "mean_check_gap": 0.3,
        "min_gap": 0.1,
    }


def _summary(scenario: str, bootstraps: dict[str, list[tuple[int, int]]]) -> pd.DataFrame:
    records = [
        {"scenario": scenario, "variant": variant, "bootstrap": b, "classifier": c, "method": "domino",
         "metric": "paper_precision_at_10", "value": 0.1 * (b % 5)}
        for variant, pairs in bootstraps.items()
        for b, c in pairs
    ]  # fmt: skip
    return summarize_metrics(tidy_metrics(records), n_resamples=50)


def test_the_design_table_gives_classifiers_draws_and_bootstraps_per_cell() -> None:
    full = [(b, b // 10) for b in range(30)]
    summary = _summary("spurious", {"image": full, "report": full[:28]})
    markdown = design_markdown(summary, {"spurious": _qa(3, 10, 3)})
    row = "| spurious | 3 classifiers x 10 audit draws | 3 / 3 | 30 / 30 | 28-30 | classifiers, then"
    assert row in markdown
    assert ONE_CLASSIFIER_NOTE not in markdown


def test_one_accepted_classifier_is_said_to_give_an_interval_over_audit_draws_only() -> None:
    summary = _summary("rare", {"image": [(b, 0) for b in range(10)]})
    markdown = design_markdown(summary, {"rare": _qa(2, 10, 1)})
    row = "| rare | 2 classifiers x 10 audit draws | 1 / 2 | 10 / 20 | 10 | audit draws of one classifier |"
    assert row in markdown
    assert ONE_CLASSIFIER_NOTE in markdown
