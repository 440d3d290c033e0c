"""Property tests: every parser of outside input names its refusal, counts the damage, or accepts.

For each parser, hostile inputs (the generators of ``benchmarks/hostile_cases.py``, driven by Hypothesis,
and Hypothesis' own bytes, text and JSON-like values) must end in a ``MedsliceError``, in a QA count, or
in acceptance of a valid input; never in another exception, and never in a damaged input read as whole.
``benchmarks/hostile_inputs.py`` runs the same generators over 10,000 cases.
"""

from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import pytest
from benchmarks.hostile_cases import (
    ACCEPTED,
    CRASHES,
    NAMED_ERRORS,
    PARSERS,
    PARSERS_BY_NAME,
    QA_COUNTED,
    Case,
    HostileParser,
    judge,
    real_jpeg,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medslice.errors import DamagedFileError, MedsliceError
from medslice.mimic import schemas
from medslice.mimic.jpeg_header import JPEG_OK, probe_jpeg
from medslice.mimic.sections import REPORT_KEYS, parse_report
from medslice.mimic.table_io import read_table, read_text

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
METADATA_KINDS = {
    "dicom_id": "key",
    "subject_id": "id",
    "study_id": "id",
    "Rows": "int",
    "StudyTime": "float",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)


def _outcome(parser: HostileParser, case: Case) -> str:
    """Judge one case in a fresh folder; fail with the crash's own traceback when it crashes."""
    with tempfile.TemporaryDirectory() as workdir:
        outcome, error = judge(parser, case, Path(workdir))
    if outcome == CRASHES:
        raise AssertionError(f"{parser.name} crashed on {case.summary()}") from error
    return outcome


@pytest.mark.parametrize("parser", PARSERS, ids=[parser.name for parser in PARSERS])
@SETTINGS
@given(rng=st.randoms(use_true_random=False))
def test_generated_hostile_inputs_are_named_counted_or_accepted(parser: HostileParser, rng) -> None:
    _outcome(parser, parser.generate(rng))


@SETTINGS
@given(data=st.binary(max_size=600), gzipped=st.booleans())
def test_read_table_on_arbitrary_bytes_names_the_file(data: bytes, gzipped: bool) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / ("table.csv.gz" if gzipped else "table.csv")
        path.write_bytes(data)
        try:
            read_text(path)
            frame = read_table(path, kinds=METADATA_KINDS, required=schemas.METADATA_COLUMNS)
        except MedsliceError as error:
            assert error.path is not None
            return
    # Arbitrary bytes almost never hold the twelve metadata columns; if they did, the ids must be ids.
    assert frame["subject_id"].dtype == "int64"


@SETTINGS
@given(rows=st.lists(st.integers(10_000_000, 19_999_999), min_size=1, max_size=8), cut=st.integers(1, 10_000))
def test_truncated_gzip_is_refused_not_read_short(rows: list[int], cut: int) -> None:
    text = "dicom_id,subject_id\n" + "".join(f"d{i},{subject}\n" for i, subject in enumerate(rows))
    whole = gzip.compress(text.encode())
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "table.csv.gz"
        path.write_bytes(whole[: len(whole) - 1 - cut % (len(whole) - 1)])
        with pytest.raises(DamagedFileError, match="table.csv.gz"):
            read_table(
                path, kinds={"dicom_id": "key", "subject_id": "id"}, required=["dicom_id", "subject_id"]
            )


@SETTINGS
@given(cell=st.text(max_size=30), column=st.sampled_from(["subject_id", "Rows", "StudyTime"]))
def test_any_cell_in_a_numeric_column_is_read_or_named_with_its_column_and_line(
    cell: str, column: str
) -> None:
    header = ["dicom_id", "subject_id", "Rows", "StudyTime"]
    row = {"dicom_id": "a", "subject_id": "10000032", "Rows": "16", "StudyTime": "80556.875"}
    row[column] = '"' + cell.replace('"', '""') + '"'
    text = ",".join(header) + "\n" + ",".join(row[c] for c in header) + "\n"
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "table.csv"
        path.write_text(text, encoding="utf-8", newline="")
        try:
            frame = read_table(path, kinds=METADATA_KINDS, required=header)
        except DamagedFileError as error:
            assert error.path is not None and (error.line is not None or error.column is not None)
            return
    assert len(frame) == 1


@SETTINGS
@given(text=st.text(max_size=400), study_id=st.none() | st.integers(0, 10**9) | st.text(max_size=10))
def test_section_parser_accepts_any_text(text: str, study_id: object) -> None:
    parsed = parse_report(text, study_id=study_id)
    assert set(REPORT_KEYS) <= set(parsed) and parsed["full_text"] == text


@SETTINGS
@given(data=st.binary(max_size=800))
def test_jpeg_probe_counts_arbitrary_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "image.jpg"
        path.write_bytes(data)
        status, rows, columns = probe_jpeg(path)
    assert status != JPEG_OK or (rows > 0 and columns > 0)


@SETTINGS
@given(cut=st.integers(0, 10_000))
def test_jpeg_probe_never_calls_a_cut_jpeg_whole(cut: int) -> None:
    real = real_jpeg()
    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "image.jpg"
        path.write_bytes(real[: cut % (len(real) - 1)])
        assert probe_jpeg(path)[0] != JPEG_OK


@pytest.mark.parametrize(
    "name",
    [
        "RunConfig.from_dict",
        "ScenarioSpec.from_dict",
        "resolve_cohort_params",
        "SyntheticConfig.from_dict",
        "check_slicer_settings",
        "ClassifierConfig.from_dict",
        "ExplanationSettings.from_dict",
    ],
)
@settings(max_examples=60, deadline=None, database=None)
@given(mapping=json_values | st.dictionaries(st.text(max_size=12), json_values, max_size=4))
def test_parameter_validators_name_any_json_value(name: str, mapping: object) -> None:
    case = Case(kind=f"{name}/json", data={"function": name, "mapping": mapping})
    assert _outcome(PARSERS_BY_NAME[name], case) in (NAMED_ERRORS, ACCEPTED)


def test_every_parser_meets_each_outcome_it_can_have() -> None:
    """The generators reach refusals and, where the parser has them, QA counts and acceptances."""
    import random

    seen: dict[str, set[str]] = {}
    for parser in PARSERS:
        rng = random.Random(7)
        seen[parser.name] = {_outcome(parser, parser.generate(rng)) for _ in range(120)}
    assert QA_COUNTED in seen["jpeg_header.probe_jpeg"] and QA_COUNTED in seen["report_worker.parse_entries"]
    assert all(ACCEPTED in outcomes for outcomes in seen.values())
