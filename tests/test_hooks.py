"""The hook that tells the user where the audit report and summary were written."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node
from kedro_datasets.text import TextDataset

from medslice.hooks import ReportLocationHook, report_locations


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
    ReportLocationHook().after_pipeline_run({}, _pipeline("audit_report", "audit_summary"), catalog)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        f"Audit report: {tmp_path / 'audit_report.html'}",
        f"Summary: {tmp_path / 'summary.md'}",
    ]


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
