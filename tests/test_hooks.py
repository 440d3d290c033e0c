"""The hooks: missing inputs named before a run, the run's save version, where the report was written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset, Version
from kedro.pipeline import Pipeline, node

from medslice.datasets import ParquetDataset, TextDataset
from medslice.hooks import (
    REPORT_NODE,
    ReportLocationHook,
    RunTimestampHook,
    report_locations,
)
from medslice.reporting.audit import run_label


def _identity(value: str) -> str:
    return value


def _pipeline(*outputs: str) -> Pipeline:
    return Pipeline([node(_identity, "metrics", output, name=f"make_{output}") for output in outputs])


def test_the_report_and_summary_paths_are_printed(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    catalog = DataCatalog(
        {
            "audit_report": TextDataset(filepath=str(tmp_path / "audit_report.html")),
            "audit_summary": TextDataset(filepath=str(tmp_path / "summary.md")),
        }
    )
    run = _pipeline("audit_report", "audit_summary")
    hook = ReportLocationHook()
    hook.before_pipeline_run()
    for made in run.nodes:
        hook.after_node_run(made)
    hook.after_pipeline_run({}, run, catalog)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"Audit report: {tmp_path / 'audit_report.html'}",
        f"Summary: {tmp_path / 'summary.md'}",
    ]
    # --only-missing-outputs skipped every node: nothing was written, so nothing is pointed at
    hook.before_pipeline_run()
    hook.after_pipeline_run({}, run, catalog)
    assert capsys.readouterr().out == ""
    # under DaskRunner the nodes ran in the workers, whose hooks this one never hears from
    hook.before_pipeline_run()
    hook.after_pipeline_run({"runner": "DaskRunner"}, run, catalog)
    assert len(capsys.readouterr().out.splitlines()) == 2


def test_runs_that_do_not_write_the_report_say_nothing(tmp_path: Path) -> None:
    catalog = DataCatalog(
        {
            "audit_report": TextDataset(filepath=str(tmp_path / "audit_report.html")),
            "audit_summary": MemoryDataset(),
        }
    )
    # the report is in the catalog but this run did not build it; the summary has no file
    assert report_locations(_pipeline("audit_summary", "other"), catalog) == {}
    assert report_locations(_pipeline("audit_report"), catalog) == {
        "Audit report": str(tmp_path / "audit_report.html")
    }


def _report_node(*inputs: str) -> object:
    return node(lambda *values: "", list(inputs), "audit_report", name=REPORT_NODE)


def _versioned_summary(tmp_path: Path, *saved_in: str) -> DataCatalog:
    """A catalog whose versioned ``metrics_summary`` was saved in the given runs."""
    for version in saved_in:
        ParquetDataset(filepath=str(tmp_path / "summary.parquet"), version=Version(None, version)).save(
            pd.DataFrame({"value": [1.0]})
        )
    summary = ParquetDataset(filepath=str(tmp_path / "summary.parquet"), version=Version(None, None))
    return DataCatalog({"metrics_summary": summary})


def test_the_report_node_gets_the_runs_save_version_and_no_other_node_does(tmp_path: Path) -> None:
    hook = RunTimestampHook()
    run = "2026-11-29T08.00.00.000Z"
    catalog = _versioned_summary(tmp_path, "2026-11-28T08.00.00.000Z", run)
    report = _report_node("metrics_summary", "parameters")
    other = node(_identity, "parameters", "metrics", name="summarize_metrics")
    parameters = {"seed": 42}
    # no run id: nothing to say
    assert hook.before_node_run(report, catalog, {"parameters": parameters}, None) is None
    # the run id comes with the node run itself, so a Dask worker's hook has it too
    assert hook.before_node_run(report, catalog, {"parameters": parameters}, run) == {
        "parameters": {"seed": 42, "run_timestamp": run}
    }
    assert parameters == {"seed": 42}  # the catalog's parameters are not mutated
    assert hook.before_node_run(other, catalog, {"parameters": parameters}, run) is None


def test_a_report_rebuilt_alone_names_the_results_run_and_the_rebuilding_run(tmp_path: Path) -> None:
    audit_run, rebuild_run = "2026-11-28T08.00.00.000Z", "2026-11-29T09.00.00.000Z"
    catalog = _versioned_summary(tmp_path, audit_run)
    hook = RunTimestampHook()
    stamped = hook.before_node_run(
        _report_node("metrics_summary", "parameters"), catalog, {"parameters": {"seed": 1}}, rebuild_run
    )
    assert stamped == {"parameters": {"seed": 1, "run_timestamp": audit_run, "report_run": rebuild_run}}
    assert run_label(stamped["parameters"]) == f"{audit_run} (report rebuilt in run {rebuild_run})"
    # pinned with --load-versions, the report names the pinned results
    pinned = DataCatalog(
        {
            "metrics_summary": ParquetDataset(
                filepath=str(tmp_path / "summary.parquet"), version=Version(audit_run, None)
            )
        }
    )
    assert (
        hook.before_node_run(
            _report_node("metrics_summary", "parameters"), pinned, {"parameters": {}}, rebuild_run
        )["parameters"]["run_timestamp"]
        == audit_run
    )


def test_an_unversioned_summary_falls_back_to_the_runs_save_version() -> None:
    hook = RunTimestampHook()
    catalog = DataCatalog({"user.metrics_summary": MemoryDataset(pd.DataFrame())})
    report = Pipeline(
        [_report_node("metrics_summary", "parameters")], namespace="user", parameters={"parameters"}
    ).nodes[0]
    stamped = hook.before_node_run(report, catalog, {"parameters": {}}, "2026-11-29T08.00.00.000Z")
    assert stamped == {"parameters": {"run_timestamp": "2026-11-29T08.00.00.000Z"}}
    assert run_label(stamped["parameters"]) == "2026-11-29T08.00.00.000Z"
    assert run_label({}) == "not recorded"
