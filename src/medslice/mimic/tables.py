"""Explicit Arrow schemas of the ingestion tables (02_intermediate) and the cohort (03_primary).

The builders in :mod:`medslice.mimic.ingest` return pandas frames; :func:`to_arrow` checks a frame
against its schema and converts it, so every Parquet file has the same column names, order and types
whatever the input.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from medslice.errors import BadValueError
from medslice.mimic.schemas import COHORT_COLUMNS, LABEL_COLUMNS_SNAKE, REPORT_SECTION_COLUMNS
from medslice.mimic.sections import REPORT_KEYS

_TIMESTAMP = pa.timestamp("ns")

IMAGES_SCHEMA = pa.schema(
    [
        ("dicom_id", pa.string()),
        ("subject_id", pa.int64()),
        ("study_id", pa.int64()),
        ("image_path", pa.string()),
        ("view_position", pa.string()),
        ("procedure", pa.string()),
        ("view_code_meaning", pa.string()),
        ("orientation", pa.string()),
        ("rows", pa.int64()),
        ("columns", pa.int64()),
        ("study_date", pa.int64()),
        ("study_time", pa.float64()),
        ("study_datetime", _TIMESTAMP),
        ("split", pa.string()),
    ]
)

# The report sections kept per study, in the order of medslice.mimic.sections.REPORT_KEYS.
REPORT_TEXT_COLUMNS: tuple[str, ...] = REPORT_KEYS
REPORTS_SCHEMA = pa.schema(
    [
        ("subject_id", pa.int64()),
        ("study_id", pa.int64()),
        *((name, pa.string()) for name in REPORT_TEXT_COLUMNS),
    ]
)

LABELS_SCHEMA = pa.schema(
    [
        ("subject_id", pa.int64()),
        ("study_id", pa.int64()),
        ("labeler", pa.string()),
        *((name, pa.float32()) for name in LABEL_COLUMNS_SNAKE),
    ]
)

PATIENTS_SCHEMA = pa.schema(
    [
        ("subject_id", pa.int64()),
        ("gender", pa.string()),
        ("anchor_age", pa.int64()),
        ("anchor_year_group", pa.string()),
        ("dod", _TIMESTAMP),
        ("race", pa.string()),
        ("insurance", pa.string()),
        ("language", pa.string()),
        ("marital_status", pa.string()),
    ]
)

_COHORT_TYPES: dict[str, pa.DataType] = {
    "subject_id": pa.int64(),
    "study_id": pa.int64(),
    "rows": pa.int64(),
    "columns": pa.int64(),
    "megapixels": pa.float64(),
    "study_datetime": _TIMESTAMP,
    "has_report": pa.bool_(),
    "anchor_age": pa.int64(),
    **dict.fromkeys(LABEL_COLUMNS_SNAKE, pa.float32()),
    **dict.fromkeys(REPORT_SECTION_COLUMNS, pa.string()),
}
COHORT_SCHEMA = pa.schema([(name, _COHORT_TYPES.get(name, pa.string())) for name in COHORT_COLUMNS])


def to_arrow(df: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """Convert ``df`` to an Arrow table with exactly ``schema``'s columns, order and types.

    Raises ValueError naming missing columns, and ValueError naming the column whose values do not
    fit its type (e.g. a fractional id). Extra columns of ``df`` are an error too: a table that
    grows a column should grow its schema.
    """
    missing = [name for name in schema.names if name not in df.columns]
    extra = [name for name in df.columns if name not in schema.names]
    if missing or extra:
        raise BadValueError(
            f"frame does not match the schema: missing column(s) {missing}, unexpected {extra}"
        )
    arrays = []
    for field in schema:
        try:
            arrays.append(pa.array(df[field.name], type=field.type, from_pandas=True))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as error:
            raise BadValueError(
                f"column {field.name!r} does not fit Arrow type {field.type}: {error}"
            ) from error
    return pa.Table.from_arrays(arrays, schema=schema)
