"""The report names the classifier each scenario audited, and warns when scenarios audited different ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from medslice.reporting.audit import build_report
from medslice.reporting.classifier_settings import describe_classifiers
from tests.reporting.report_inputs import report_artifacts

from .html_inspection import parse

SMALL_CNN = {"name": "small_cnn", "image_size": 128, "lr": 0.001, "device": "cpu"}
LITE0 = {"name": "lite0_head", "image_size": 224, "lr": 5e-05, "device": "cpu", "freeze_backbone": False}


def _qa(classifier: dict | None) -> dict:
    qa = {"n_bootstraps": 3, "n_accepted": 3, "total_retries": 0, "mean_check_gap": 0.2, "min_gap": 0.1}
    return qa if classifier is None else {**qa, "classifier": classifier}


def test_one_classifier_everywhere_is_described_once_without_a_notice() -> None:
    text, notice = describe_classifiers({"rare_slice": _qa(SMALL_CNN), "noisy_label": _qa(SMALL_CNN)})
    assert notice is None
    assert '"name": "small_cnn"' in text and "see the notice" not in text


def test_a_scenario_with_another_classifier_is_named_with_what_differs() -> None:
    qas = {"rare_slice": _qa(SMALL_CNN), "spurious_correlation": _qa(SMALL_CNN), "noisy_label": _qa(LITE0)}
    text, notice = describe_classifiers(qas)
    assert '"name": "small_cnn"' in text
    assert text.endswith("(for 2 of 3 scenarios; see the notice above)")
    assert notice is not None
    assert notice.startswith("Not every scenario audited the same classifier: 2 of 3 share")
    differing = notice.split("noisy_label: ")[1]
    assert 'name = "lite0_head" (others: "small_cnn")' in differing
    assert "freeze_backbone = false (others: null)" in differing
    assert "device" not in differing.split(". ")[0]  # only what differs is named


def test_qa_without_a_recorded_classifier_is_left_out() -> None:
    assert describe_classifiers({"old": _qa(None)}) == ("not recorded", None)
    text, notice = describe_classifiers({"old": _qa(None), "new": _qa(LITE0)})
    assert notice is None and '"lite0_head"' in text


def test_the_report_shows_each_scenarios_classifier_not_the_last_runs(tmp_path: Path) -> None:
    empty = pd.DataFrame(
        columns=["scenario", "variant", "method", "metric", "mean", "ci_low", "ci_high", "n"]
    )
    qa = {"rare_slice": _qa(SMALL_CNN), "noisy_label": _qa(LITE0)}
    parameters = {"failure_injection": {"run": {"classifier": LITE0}}, "report": {"embed_images": True}}
    html = build_report(
        report_artifacts(empty, injection_qa=qa, image_root=str(tmp_path), parameters=parameters)
    )
    text = " ".join(" ".join(parse(html).text).split())
    assert "Classifier under audit (as recorded by each scenario's injection)" in text
    assert "Not every scenario audited the same classifier" in text
    # One scenario each: the tie goes to the settings whose JSON sorts first, so the small CNN is named.
    assert "rare_slice: freeze_backbone = null (others: false)" in text
    assert 'name = "small_cnn" (others: "lite0_head")' in text
