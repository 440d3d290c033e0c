"""Kedro hooks: tell the user where a run's report and summary were written."""

from __future__ import annotations

from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline

# The datasets a reader opens after an audit, with how to name them.
REPORT_OUTPUTS: dict[str, str] = {"audit_report": "Audit report", "audit_summary": "Summary"}


def report_locations(pipeline: Pipeline, catalog: DataCatalog) -> dict[str, str]:
    """``{label: path}`` for every report output this pipeline wrote that the catalog stores in a file."""
    written = pipeline.all_outputs()
    locations = {}
    for name, label in REPORT_OUTPUTS.items():
        if name not in written or name not in catalog:
            continue
        filepath = catalog.get(name)._describe().get("filepath")
        if filepath is not None:
            locations[label] = str(filepath)
    return locations


class ReportLocationHook:
    """After a run that built the report, print where it is, since that is what people open next."""

    @hook_impl
    def after_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Print the report and summary paths of the run."""
        del run_params  # the paths come from the catalog, whatever the environment
        for label, path in report_locations(pipeline, catalog).items():
            # Printed, not logged: the rich log handler wraps long paths, and this one is to be copied.
            print(f"{label}: {path}", flush=True)
