"""Read and write the MIMIC CSV tables by column name, with errors that name the file and column."""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

# Column kinds of read_table: "id" is a non-null integer key, "key" a non-null string key.
ColumnKinds = Mapping[str, str]
_READ_DTYPES: dict[str, object] = {
    "id": "Int64",
    "key": str,
    "int": "Int64",
    "float": "float64",
    "str": str,
}


def _file_label(path: Path) -> str:
    """How errors name a file: its name, which is what users see in the PhysioNet listing."""
    return path.name


def read_table(
    path: str | Path,
    *,
    kinds: ColumnKinds,
    required: Sequence[str],
    aliases: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a (gzipped) MIMIC CSV, matching columns by name.

    ``kinds`` maps known column names to ``"id"`` (non-null int64), ``"key"`` (non-null string),
    ``"int"`` (nullable Int64), ``"float"`` or ``"str"``; other columns are read as strings.
    ``aliases`` renames alternative spellings (e.g. ``{"ethnicity": "race"}``) before the check.
    Known columns come first, in the order of ``kinds``, then any extra columns. Blank cells are
    missing; no other text (e.g. ``"NA"``) is.

    Raises ValueError naming the file and the column when a required column is missing, a value does
    not parse as its kind, or an id cell is blank (with its line number).
    """
    path = Path(path)
    label = _file_label(path)
    aliases = dict(aliases or {})
    header = list(pd.read_csv(path, nrows=0).columns)
    renamed = [aliases.get(name, name) for name in header]
    for column in required:
        if column not in renamed:
            raise ValueError(f"{label}: required column {column!r} is missing (columns found: {header})")
    dtypes = {raw: _READ_DTYPES[kinds.get(name, "str")] for raw, name in zip(header, renamed, strict=True)}
    try:
        frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""], low_memory=False)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{label}: a value does not parse as its column's type: {error}") from error
    frame = frame.rename(columns=dict(zip(header, renamed, strict=True)))
    for column, kind in kinds.items():
        if kind in ("id", "key") and column in frame.columns:
            frame[column] = _non_null(frame[column], label, column, kind)
    known = [c for c in kinds if c in frame.columns]
    return frame[known + [c for c in frame.columns if c not in kinds]]


def _non_null(values: pd.Series, label: str, column: str, kind: str) -> pd.Series:
    """Refuse blank key cells with the file, column and line number; ids become int64."""
    blank = values.isna().to_numpy()
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        # +2: one for the header line, one because lines count from 1.
        raise ValueError(f"{label}: column {column!r} is blank on line {row + 2}")
    return values.astype(np.int64) if kind == "id" else values


def write_csv_gz(path: str | Path, frame: pd.DataFrame, *, float_format: str | None = None) -> None:
    """Write ``frame`` as a gzipped CSV whose bytes depend only on its content.

    The gzip header carries no file name and ``mtime=0``, so rewriting the same frame gives a
    byte-identical file. Missing values are written as blank cells; no index is written.
    """
    text = frame.to_csv(index=False, na_rep="", float_format=float_format, lineterminator="\n")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as gz:
        gz.write(text.encode("utf-8"))
    Path(path).write_bytes(buffer.getvalue())


def write_csv(path: str | Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` as a plain CSV (blank cells for missing values, ``\\n`` line ends)."""
    Path(path).write_text(
        frame.to_csv(index=False, na_rep="", lineterminator="\n"), encoding="utf-8", newline=""
    )
