"""A damaged MIMIC CSV is refused with its file, and the column and 1-based CSV line where they apply."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from medslice.errors import DamagedFileError
from medslice.mimic.table_io import read_table, read_text

KINDS = {"subject_id": "id", "dicom_id": "key", "Rows": "int", "StudyTime": "float"}
REQUIRED = ("subject_id", "dicom_id")
GOOD = "subject_id,dicom_id,Rows,StudyTime\n10000032,a,3056,80556.875\n10000033,b,2544,\n10000034,c,,1.5\n"


def _write(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return path


def test_a_whole_file_reads_with_its_kinds(tmp_path: Path) -> None:
    frame = read_table(_write(tmp_path / "m.csv.gz", GOOD), kinds=KINDS, required=REQUIRED)
    assert frame["subject_id"].dtype == "int64"
    assert frame["Rows"].tolist()[:2] == [3056, 2544]
    assert frame["Rows"].isna().tolist() == [False, False, True]
    assert frame["StudyTime"].tolist()[0] == 80556.875


def test_a_truncated_gzip_is_named_not_read_short(tmp_path: Path) -> None:
    whole = gzip.compress((GOOD * 2000).encode(), mtime=0)
    path = tmp_path / "metadata.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DamagedFileError, match="truncated or corrupt gzip") as raised:
        read_table(path, kinds=KINDS, required=REQUIRED)
    assert raised.value.path == str(path) and "Download the file again" in raised.value.fix


def test_random_bytes_are_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "metadata.csv.gz"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DamagedFileError, match="is not gzip data") as raised:
        read_table(path, kinds=KINDS, required=REQUIRED)
    assert raised.value.path == str(path)


@pytest.mark.parametrize(
    ("column", "value", "line", "message"),
    [
        ("StudyTime", "xyz", 3, "'xyz' is not a number"),
        ("Rows", "abc", 4, "'abc' is not an integer"),
        ("Rows", "12.5", 2, "'12.5' is not an integer"),
        ("subject_id", "", 3, "column 'subject_id' is blank"),
    ],
)
def test_an_unparseable_value_names_column_and_csv_line(
    tmp_path: Path, column: str, value: str, line: int, message: str
) -> None:
    rows = [row.split(",") for row in GOOD.strip().split("\n")]
    rows[line - 1][rows[0].index(column)] = value
    path = _write(tmp_path / "metadata.csv.gz", "\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(DamagedFileError, match=message) as raised:
        read_table(path, kinds=KINDS, required=REQUIRED)
    assert (raised.value.column, raised.value.line, raised.value.path) == (column, line, str(path))


def test_a_row_with_too_many_fields_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv.gz", GOOD + "10000035,d,1,2,extra,fields\n")
    with pytest.raises(DamagedFileError, match="not a well-formed CSV") as raised:
        read_table(path, kinds=KINDS, required=REQUIRED)
    assert raised.value.line == 5  # header, three rows, then the bad one


def test_bytes_that_are_not_utf8_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "m.csv.gz"
    path.write_bytes(gzip.compress(GOOD.encode() + b"10000035,\xff\xfe,1,2\n", mtime=0))
    with pytest.raises(DamagedFileError, match="not UTF-8") as raised:
        read_text(path)
    assert raised.value.line == 5


def test_a_missing_required_column_names_the_header_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv.gz", GOOD.replace("dicom_id", "dicomid"))
    with pytest.raises(DamagedFileError, match="required column 'dicom_id' is missing") as raised:
        read_table(path, kinds=KINDS, required=REQUIRED)
    assert (raised.value.column, raised.value.line) == ("dicom_id", 1)


def test_an_empty_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DamagedFileError, match="is empty"):
        read_table(_write(tmp_path / "m.csv.gz", ""), kinds=KINDS, required=REQUIRED)
