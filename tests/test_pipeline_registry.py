"""The registry and the base catalog: every pipeline by name, every dataset declared where it belongs."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.framework.project import configure_project
from kedro.framework.session import KedroSession
from kedro.io import MemoryDataset

from medslice.pipeline_registry import register_pipelines
from medslice.pipelines.declared import declared_scenarios, declared_variants

PROJECT = Path(__file__).resolve().parents[1]
PAPER_SCENARIOS = {"spurious_correlation", "rare_slice", "noisy_label"}
VARIANTS = {
    "image",
    "report",
    "metadata",
    "image_report",
    "image_metadata",
    "report_metadata",
    "image_report_metadata",
}
# Datasets that may stay in memory: QA pieces merged into persisted JSON, and runtime parameters.
# Raw inputs are read-only; the report, its summary and chart have fixed paths people open.
UNVERSIONED = {
    "bootstrap_checkpoints",  # a cache of finished units keyed by their settings, not an artifact
    "embedding_shards",  # likewise: embedding shards and locked features keyed by content and encoder
    "mimic_cxr_jpg",
    "mimic_cxr_reports",
    "mimic_iv_patients",
    "mimic_iv_admissions",
    "audit_report",
    "audit_summary",
    "precision_chart",
    "paired_chart",
}
# In memory on purpose: the QA merged into ingestion_qa, the parameters, the run's identity (set by
# RunInfoHook) and the report's inputs handed from build_audit_report to write_summary (declared in
# 08_reporting.yml as MemoryDatasets).
TRANSIENT = {
    "images_qa",
    "reports_qa",
    "labels_qa",
    "patients_qa",
    "cohort_qa",
    "parameters",
    "run_info",
    "report_artifacts",
}


@pytest.fixture(scope="module")
def pipelines() -> dict:
    return register_pipelines()


def test_every_pipeline_is_registered_and_audit_is_the_default(pipelines: dict) -> None:
    expected = {
        "synthetic",
        "ingestion",
        "embedding",
        "failure_injection",
        "slice_discovery",
        "explanation",
        "evaluation",
        "reporting",
        "audit",
        "audit_predictions",
        "__default__",
    }
    assert expected <= set(pipelines)
    assert set(pipelines["__default__"].nodes) == set(pipelines["audit"].nodes)
    stages = (
        "ingestion",
        "embedding",
        "failure_injection",
        "slice_discovery",
        "explanation",
        "evaluation",
        "reporting",
    )
    assert {n.name for s in stages for n in pipelines[s].nodes} == {n.name for n in pipelines["audit"].nodes}
    assert not set(pipelines["synthetic"].nodes) & set(pipelines["audit"].nodes)


def test_declared_scenarios_and_variants_become_namespaces(pipelines: dict) -> None:
    assert set(declared_scenarios()) >= PAPER_SCENARIOS
    assert len(declared_scenarios()) >= 5
    assert set(declared_variants()) == VARIANTS
    names = {n.name for n in pipelines["audit"].nodes}
    for scenario in declared_scenarios():
        assert f"{scenario}.inject_failures" in names
        for variant in VARIANTS:
            assert f"{scenario}.{variant}.discover_slices" in names
            assert f"{scenario}.{variant}.explain_slices" in names


def test_every_audit_dataset_is_declared_and_outputs_are_versioned() -> None:
    configure_project("medslice")
    with KedroSession.create(project_path=PROJECT, env="base") as session:
        context = session.load_context()
        catalog = context.catalog
        audit = register_pipelines()["audit"]
        undeclared, unversioned = [], []
        for name in sorted(audit.datasets()):
            if name.startswith("params:") or name in TRANSIENT:
                continue
            dataset = catalog.get(name)
            if isinstance(dataset, MemoryDataset):
                undeclared.append(name)
            elif name not in UNVERSIONED and getattr(dataset, "_version", None) is None:
                unversioned.append(name)
        assert not undeclared, f"datasets that would silently stay in memory: {undeclared}"
        assert not unversioned, f"datasets that are not versioned: {unversioned}"


def test_patient_level_datasets_are_hidden_from_viz_previews() -> None:
    configure_project("medslice")
    with KedroSession.create(project_path=PROJECT, env="base") as session:
        catalog = session.load_context().catalog
        for name in ("mimic_iv_patients", "mimic_iv_admissions", "patients", "cohort", "images", "reports"):
            metadata = catalog.get(name).metadata or {}
            assert metadata.get("kedro-viz", {}).get("preview") is False, name


def test_one_scenario_runs_alone_with_namespaces(pipelines: dict) -> None:
    # What `kedro run --namespaces=spurious_correlation` selects: that scenario's nodes and nothing else.
    selected = pipelines["audit"].only_nodes_with_namespaces(["spurious_correlation"])
    names = {n.name for n in selected.nodes}
    assert "spurious_correlation.inject_failures" in names
    assert all(name.startswith("spurious_correlation.") for name in names)
    # inject_failures and evaluate_baseline, then per variant: fusion, the main slicer, the compared
    # slicers, the explanation and the two evaluations.
    assert len(names) == 2 + 6 * len(VARIANTS)


def test_the_report_reads_injection_qa_only_where_failures_were_injected(pipelines: dict) -> None:
    def report_inputs(name: str) -> list[str]:
        return next(n for n in pipelines[name].nodes if n.name.endswith("build_audit_report")).inputs

    audit_inputs = report_inputs("audit")
    for scenario in declared_scenarios():
        assert f"{scenario}.injection_qa" in audit_inputs
    # a user's own predictions have no injection, so nothing asks for one
    assert not [name for name in report_inputs("audit_predictions") if name.endswith("injection_qa")]


def test_auditing_own_predictions_never_overwrites_the_planted_audits_report(pipelines: dict) -> None:
    own = pipelines["audit_predictions"].all_outputs()
    shared = {
        "metrics",
        "metrics_summary",
        "audit_summary",
        "audit_report",
        "precision_chart",
        "paired_comparisons",
        "cross_fitted_best",
        "paired_chart",
        "slicer_comparison",
        "slicer_rules",
    }
    assert not own & shared
    assert {f"user.{name}" for name in shared} <= own
    configure_project("medslice")
    with KedroSession.create(project_path=PROJECT, env="base") as session:
        catalog = session.load_context().catalog
        paths = {name: str(catalog.get(f"user.{name}")._describe()["filepath"]) for name in shared}
        planted = {name: str(catalog.get(name)._describe()["filepath"]) for name in shared}
    assert all("/08_reporting/user/" in path for path in paths.values())
    assert not set(paths.values()) & set(planted.values())
