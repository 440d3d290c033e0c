"""Build the reports table: the sections of every MIMIC-CXR report, parsed in a small process pool."""

from __future__ import annotations

import logging
from functools import partial

import pandas as pd

from medslice.mimic.parallel import chunked, map_chunks
from medslice.mimic.qa_buckets import id_bucket
from medslice.mimic.report_worker import EMPTY, PARSED, UNDECODABLE, UNPARSEABLE, parse_entries
from medslice.mimic.reports_source import MimicCxrReports
from medslice.mimic.tables import REPORT_TEXT_COLUMNS

_LOG = logging.getLogger(__name__)

REPORTS_COLUMNS: tuple[str, ...] = ("subject_id", "study_id", *REPORT_TEXT_COLUMNS)


def build_reports_table(
    reports: MimicCxrReports, *, n_workers: int = 2, chunk_size: int = 2048
) -> tuple[pd.DataFrame, dict]:
    """Parse every report into its sections; return the table and the QA of what failed.

    Columns: :data:`REPORTS_COLUMNS` (absent sections are ``""``; ``full_text`` is the report as
    written). Empty, non-UTF-8 and unparseable reports are left out of the table and listed by
    study_id under ``excluded_reports``; parsed reports without an impression, findings, last
    paragraph or comparison are kept and listed under ``without_main_section``. A study found twice
    (e.g. under two prefixes in a zip) keeps its first copy and is listed under
    ``duplicate_studies``.
    """
    entries = reports.entries
    results = map_chunks(
        partial(parse_entries, str(reports.location)),
        chunked(entries, chunk_size),
        n_workers=n_workers,
        desc="parse reports",
        unit="report",
    )
    rows = [row for chunk in results for row in chunk]
    statuses = [row[2] for row in rows]
    parsed_rows = [row for row in rows if row[2] == PARSED]
    table = pd.DataFrame([(row[0], row[1], *row[4:]) for row in parsed_rows], columns=list(REPORTS_COLUMNS))
    table = table.astype({"subject_id": "int64", "study_id": "int64"})
    duplicated = table.duplicated(["subject_id", "study_id"], keep="first")
    duplicate_studies = table.loc[duplicated, "study_id"].tolist()
    without_main = [row[1] for row in parsed_rows if not row[3]]
    table = table.loc[~duplicated].reset_index(drop=True)

    def studies(status: str) -> dict:
        return id_bucket(row[1] for row, s in zip(rows, statuses, strict=True) if s == status)

    qa = {
        "reports": {
            "files": len(entries),
            "rows": len(table),
            "excluded_reports": {
                EMPTY: studies(EMPTY),
                UNDECODABLE: studies(UNDECODABLE),
                UNPARSEABLE: studies(UNPARSEABLE),
            },
            "duplicate_studies": id_bucket(duplicate_studies),
            "without_main_section": id_bucket(without_main),
        }
    }
    for status, bucket in qa["reports"]["excluded_reports"].items():
        if bucket["count"]:
            _LOG.warning("%d report(s) excluded as %s, e.g. %s", bucket["count"], status, bucket["ids"][:3])
    return table[list(REPORTS_COLUMNS)], qa
