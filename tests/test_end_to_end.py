"""The whole mission on the `tiny` environment: synthetic data, `kedro run --pipeline=audit`, kedro-viz.

It runs the real CLI in a temporary copy of the project, so nothing under the checkout's data/ is touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.tiny_project import kedro, latest
from tests.variants import DECLARED_VARIANTS as VARIANTS

PAPER_SCENARIOS = ("spurious_correlation", "rare_slice", "noisy_label")


@pytest.fixture(scope="module")
def audited(tiny_audit: Path) -> Path:
    return tiny_audit


def _scenario_bootstraps(metrics: pd.DataFrame) -> set[tuple[str, int]]:
    return set(zip(metrics["scenario"], metrics["bootstrap"], strict=True))


@pytest.mark.slow
def test_audit_writes_the_report_summary_and_metrics(audited: Path) -> None:
    reporting = audited / "data" / "08_reporting"
    html = (reporting / "audit_report.html").read_text()
    assert "slice-card" in html and "<table" in html
    # every injected scenario has its row in the planted-failures table
    assert 'id="planted"' in html
    for scenario in PAPER_SCENARIOS:
        assert f'<tr data-scenario="{scenario}" class="planted-' in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    summary = (reporting / "summary.md").read_text()
    assert "| scenario |" in summary
    metrics = pd.read_parquet(latest(reporting / "metrics.parquet"))
    # the report names the run's save version, the folder every output of this run was written under
    assert f"Run: {latest(reporting / 'metrics.parquet').parent.name}" in html
    assert list(metrics.columns) == [
        "scenario", "variant", "bootstrap", "classifier", "method", "metric", "value",
    ]  # fmt: skip
    domino = metrics[metrics["method"] == "domino"]
    assert set(domino["variant"]) == set(VARIANTS)
    assert {"precision_at_10", "paper_precision_at_10", "token_hit"} <= set(domino["metric"])
    # every metric is a share, but efficiency, a ratio to the ideal error slice, which a slice can exceed
    shares = metrics[metrics["metric"] != "efficiency"]
    assert shares["value"].between(0, 1).all()
    efficiency = domino[domino["metric"] == "efficiency"]
    assert len(efficiency) and (efficiency["value"] >= 0).all()
    # the ideal error slice sits beside the baseline: one value per scenario and accepted bootstrap
    ideal = metrics[metrics["method"] == "ideal_error_slice"]
    baseline = metrics[metrics["method"] == "baseline"]
    assert set(ideal["variant"]) == {"all"} and set(ideal["metric"]) == {"paper_precision_at_10"}
    assert _scenario_bootstraps(ideal) == _scenario_bootstraps(baseline) == _scenario_bootstraps(domino)
    assert "ideal error slice" in summary


@pytest.mark.slow
def test_every_input_row_is_accounted_for(audited: Path) -> None:
    qa = json.loads(latest(audited / "data" / "02_intermediate" / "ingestion_qa.json").read_text())
    assert qa["accounting"]["balanced"] is True
    quality = json.loads(latest(audited / "data" / "08_reporting" / "encoder_quality.json").read_text())
    assert set(quality["auroc"]) == {"support_devices", "cardiomegaly", "pleural_effusion", "lateral_view"}


@pytest.mark.slow
def test_single_node_rerun_uses_the_catalog(audited: Path) -> None:
    slices = audited / "data" / "07_model_output" / "spurious_correlation" / "image_report" / "slices.parquet"
    before = pd.read_parquet(latest(slices))
    rerun = kedro(
        audited,
        "run",
        "--pipeline=audit",
        "--env=tiny",
        "--nodes=spurious_correlation.image_report.discover_slices",
    )
    # the brief's spelling, --pipeline, runs without Kedro's deprecation note (settings.py)
    assert "deprecated" not in rerun.stdout + rerun.stderr
    versions = sorted(slices.glob("*/slices.parquet"))
    assert len(versions) == 2
    pd.testing.assert_frame_equal(pd.read_parquet(versions[-1]), before)


@pytest.mark.slow
def test_kedro_viz_build_shows_the_namespaces(audited: Path) -> None:
    kedro(audited, "viz", "build", timeout=600)
    built = audited / "build" / "api" / "main"
    assert built.is_file()
    graph = json.loads(built.read_text())
    modular = json.dumps(graph.get("modular_pipelines", {}))
    assert "spurious_correlation.image_report" in modular
