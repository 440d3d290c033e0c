"""Read and write the MIMIC CSV tables by column name, with errors that name the file and column."""

from __future__ import annotations

import csv
import gzip
import io
import re
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from medslice.errors import DamagedFileError, MissingFileError

# Column kinds of read_table: "id" is a non-null integer key, "key" a non-null string key.
ColumnKinds = Mapping[str, str]


def _file_label(path: Path) -> str:
    """How errors name a file: its name, which is what users see in the PhysioNet listing."""
    return path.name


REDOWNLOAD = "Download the file again (PhysioNet lists its SHA-256 in SHA256SUMS.txt) or restore it."
_PANDAS_LINE = re.compile(r"(?:line|row) (\d+)")


def read_text(path: str | Path, *, gzipped: bool | None = None) -> str:
    """The text of a CSV file, un-gzipped when ``gzipped`` (default: when its name ends in ``.gz``).

    Raises :class:`DamagedFileError` naming the file when it cannot be read whole: not gzip data, a
    truncated or corrupt gzip stream, or bytes that are not UTF-8 (with the line they are on).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as error:
        raise MissingFileError(f"{path.name} does not exist", path=path) from error
    except OSError as error:
        raise DamagedFileError(f"{path.name} cannot be read: {error.strerror}", path=path) from error
    if path.name.endswith(".gz") if gzipped is None else gzipped:
        if not raw:
            # gzip.decompress(b"") returns b"": a zero-byte download would read as an empty table.
            raise DamagedFileError(
                f"{path.name} is empty (0 bytes), not gzip data", path=path, fix=REDOWNLOAD
            )
        try:
            raw = gzip.decompress(raw)
        except gzip.BadGzipFile as error:
            raise DamagedFileError(
                f"{path.name} is not gzip data ({error})", path=path, fix=REDOWNLOAD
            ) from error
        except (EOFError, zlib.error) as error:
            raise DamagedFileError(
                f"{path.name} is a truncated or corrupt gzip file ({error})", path=path, fix=REDOWNLOAD
            ) from error
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DamagedFileError(
            f"{path.name} holds bytes that are not UTF-8 text ({error.reason})",
            path=path,
            line=line,
            fix=REDOWNLOAD,
        ) from error


def parse_csv(text: str, path: str | Path, **read_args: object) -> pd.DataFrame:
    """``pandas.read_csv`` of ``text`` read from ``path``, its parser errors naming the file and line."""
    path = Path(path)
    if not text.strip():
        raise DamagedFileError(f"{path.name} is empty: it has no header row", path=path, fix=REDOWNLOAD)
    try:
        return pd.read_csv(io.StringIO(text), **read_args)  # type: ignore[call-overload]
    except (pd.errors.ParserError, ValueError, TypeError, OverflowError) as error:
        found = _PANDAS_LINE.search(str(error))
        message = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise DamagedFileError(
            f"{path.name} is not a well-formed CSV table ({message[:300]})",
            path=path,
            line=int(found.group(1)) if found else None,
            fix=REDOWNLOAD,
        ) from error


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

    Raises :class:`DamagedFileError` naming the file, and the column and 1-based CSV line where they
    apply: a file that is not gzip data or is truncated, a malformed CSV, a missing required column,
    a value that does not parse as its kind, or a blank id cell.
    """
    path = Path(path)
    label = _file_label(path)
    aliases = dict(aliases or {})
    # Every cell is read as text, then converted column by column, so a bad value is named by column
    # and line. Blank lines are kept as rows, so a data row's CSV line is its position + 2.
    text = read_text(path)
    frame = parse_csv(text, path, dtype=str, keep_default_na=False, na_values=[""], skip_blank_lines=False)
    header = _header_as_written(text, path, len(frame.columns)) or [str(name) for name in frame.columns]
    renamed = [aliases.get(name, name) for name in header]
    for column in required:
        if column not in renamed:
            raise DamagedFileError(
                f"{label}: required column {column!r} is missing (columns found: "
                f"{[_shorten(name) for name in header[:50]]}{' ...' if len(header) > 50 else ''})",
                path=path,
                column=column,
                line=1,
            )
    frame.columns = renamed
    if frame.columns.duplicated().any():
        twice = sorted({_shorten(str(c)) for c in frame.columns[frame.columns.duplicated()]})[:10]
        raise DamagedFileError(f"{label}: column(s) {twice} appear more than once", path=path, line=1)
    for column, kind in kinds.items():
        if column in frame.columns:
            frame[column] = _convert(frame[column], kind, path, column)
    known = [c for c in kinds if c in frame.columns]
    return frame[known + [c for c in frame.columns if c not in kinds]]


def _shorten(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters, so that a file of junk cannot fill an error message."""
    return text if len(text) <= limit else text[:limit] + "..."


def _header_as_written(text: str, path: Path, n_columns: int) -> list[str] | None:
    """The header names as the file spells them, after checking every row has one cell per name.

    pandas renames a repeated name (``Rows``, ``Rows.1``), fills a short row with missing values and
    turns the first column into the index when a row is one cell longer than the header: each would
    accept a damaged file as if it were whole, so the rows are counted here (one C-level pass). A
    leading BOM left on the first name (a file saved twice with one) is dropped. None when the csv
    module reads a different number of header cells than pandas (then pandas' names are used).
    """
    rows = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(rows)
        for cells in rows:
            # A blank line reads as []; kept by pandas as an all-blank row, refused by the id checks.
            if cells and len(cells) != len(header):
                raise DamagedFileError(
                    f"{path.name}: a row has {len(cells)} cells, the header {len(header)} (a damaged or "
                    "truncated file, or a separator inside an unquoted cell)",
                    path=path,
                    line=rows.line_num,
                    fix=REDOWNLOAD,
                )
    except csv.Error as error:
        raise DamagedFileError(
            f"{path.name} is not a well-formed CSV table ({error})",
            path=path,
            line=rows.line_num,
            fix=REDOWNLOAD,
        ) from error
    if len(header) != n_columns:
        return None
    return [name.lstrip("\ufeff") for name in header]


def _convert(values: pd.Series, kind: str, path: Path, column: str) -> pd.Series:
    """One column of text cells as its kind; the first bad cell is named with its CSV line."""
    blank = values.isna().to_numpy()
    if kind in ("id", "key") and blank.any():
        line = int(np.flatnonzero(blank)[0]) + 2  # +2: the header line, and lines count from 1
        raise DamagedFileError(
            f"{path.name}: column {column!r} is blank", path=path, column=column, line=line
        )
    if kind in ("key", "str"):
        return values
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    finite = np.isfinite(numbers.to_numpy())
    bad = ~blank & ~finite
    if kind in ("id", "int"):
        bad |= finite & (np.mod(np.where(finite, numbers.to_numpy(), 0), 1) != 0)
        # Ids pass through float64: beyond 2**53 they would not read back exactly (MIMIC's have 8 digits).
        bad |= finite & (np.abs(np.where(finite, numbers.to_numpy(), 0)) >= 2**53)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        expected = "a number" if kind == "float" else "an integer"
        shown = _shorten(str(values.iloc[row]))
        raise DamagedFileError(
            f"{path.name}: {shown!r} is not {expected}",
            path=path,
            column=column,
            line=row + 2,
            fix="Repair the value, or download the file again.",
        )
    if kind == "float":
        return numbers
    integers = numbers.round().astype("Int64")
    return integers.astype(np.int64) if kind == "id" else integers


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
