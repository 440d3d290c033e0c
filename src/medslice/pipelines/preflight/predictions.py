"""Pre-run check of a user's ``user_predictions.csv``, before ingestion and embedding run in front of it."""

from __future__ import annotations

from kedro.io import DatasetError

from medslice.pipelines.preflight.parameters import slicer_config
from medslice.pipelines.preflight.plan import RunPlan
from medslice.pipelines.tags import VALIDATES_USER_PREDICTIONS
from medslice.scenarios.user_predictions import (
    PredictionsError,
    check_predictions_table,
    check_rows_per_bootstrap,
)
from medslice.slicing.per_bootstrap import check_slicer_settings

USER_PREDICTIONS = "user_predictions"
UNREADABLE_HINT = (
    "save it as a comma-separated UTF-8 text file with a header row: dicom_id,target,prob "
    "(docs/audit-your-model.md)"
)


def check_user_predictions(plan: RunPlan) -> None:
    """Check the table's columns, values and duplicates, and the slicer's minimum rows per bootstrap.

    Only when the run validates user predictions and the file exists (a missing file is reported by the
    missing-inputs check). The node repeats the checks with the cohort's ids, which only ingestion supplies.
    """
    catalog = plan.catalog
    if not plan.has_role(VALIDATES_USER_PREDICTIONS) or USER_PREDICTIONS not in catalog:
        return
    if not catalog.exists(USER_PREDICTIONS):
        return
    where = f"{USER_PREDICTIONS}{plan.location(USER_PREDICTIONS)}"
    try:
        table = catalog.load(USER_PREDICTIONS)
    except DatasetError as error:
        # Kedro's message starts with the dataset's repr; its last line is the reader's own complaint.
        cause = str(error.__cause__ or error).strip().splitlines()[-1]
        raise PredictionsError(
            f"{where} cannot be read ({cause}); {UNREADABLE_HINT}; nothing was run."
        ) from error
    try:
        checked = check_predictions_table(table)
        config = slicer_config(plan)
        if config is not None:
            check_rows_per_bootstrap(checked, check_slicer_settings(config))
    except PredictionsError as error:
        raise PredictionsError(f"{where}: {error}; nothing was run.") from error
