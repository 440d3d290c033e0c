"""write_summary: a scenario whose planted failure never took is named in the summary, not dropped."""

from __future__ import annotations

import matplotlib.pyplot as plt

from medslice.pipelines.evaluation.nodes import write_summary
from tests.reporting.report_inputs import as_summary, summary_row


def _qa(n_accepted: int) -> dict[str, float]:
    return {
        "n_bootstraps": 3,
        "n_accepted": n_accepted,
        "total_retries": 9,
        "mean_check_gap": 0.02,
        "min_gap": 0.1,
    }


def test_the_summary_names_a_scenario_without_accepted_bootstraps() -> None:
    summary = as_summary([summary_row("rare_slice", "image", 0.9)])
    markdown, figure = write_summary(
        summary, rare_slice__injection_qa=_qa(3), elderly_women_rare__injection_qa=_qa(0)
    )
    plt.close(figure)
    assert (
        "- **elderly_women_rare**: not scored: the failure did not take in any bootstrap: the metrics have "
        "nothing to score (0 of 3 bootstraps accepted)." in markdown.splitlines()
    )
    assert "rare_slice**: not scored" not in markdown
