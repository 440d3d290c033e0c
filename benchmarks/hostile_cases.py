"""Hostile inputs for every parser of outside input, and the rule that judges what a parser did with them.

Shared by ``benchmarks/hostile_inputs.py`` (thousands of cases from a seeded ``random.Random``) and
``tests/test_hostile_inputs.py`` (the same generators driven by Hypothesis). Each parser is a
:class:`HostileParser`: ``generate(rng)`` makes one :class:`Case`, ``run(case, workdir)`` feeds it to the
parser and returns :data:`QA_COUNTED` or :data:`ACCEPTED`. :func:`judge` turns that into one of four
outcomes: ``named_errors`` (a :class:`~medslice.errors.MedsliceError`), ``qa_counted``, ``accepted``
or ``crashes`` (any other exception, including :class:`SilentAcceptanceError`, raised when a damaged
input was accepted as if it were whole).
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import io
import json
import math
import random
import string
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medslice.classifiers.config import TRAINING_KEYS, ClassifierConfig
from medslice.errors import MedsliceError
from medslice.explain.settings import ExplanationSettings
from medslice.mimic import schemas
from medslice.mimic.cohort import DEFAULT_COHORT_PARAMS, resolve_cohort_params
from medslice.mimic.ingest_reports import build_reports_table
from medslice.mimic.jpeg_header import JPEG_OK, JPEG_TRUNCATED, probe_jpeg
from medslice.mimic.reader import MimicCxrJpg
from medslice.mimic.report_worker import EMPTY, PARSED, UNDECODABLE, parse_entries
from medslice.mimic.reports_source import MimicCxrReports
from medslice.mimic.sections import REPORT_KEYS, parse_report
from medslice.mimic.table_io import read_table, read_text
from medslice.pipelines.declared import shipped_scenarios
from medslice.scenarios.bootstrap import RunConfig
from medslice.scenarios.spec import ScenarioSpec
from medslice.scenarios.user_predictions import check_predictions_table, validate_predictions
from medslice.slicing.per_bootstrap import check_slicer_settings
from medslice.synth.config import SyntheticConfig

NAMED_ERRORS = "named_errors"
QA_COUNTED = "qa_counted"
ACCEPTED = "accepted"
CRASHES = "crashes"
OUTCOMES = (NAMED_ERRORS, QA_COUNTED, ACCEPTED, CRASHES)


class SilentAcceptanceError(AssertionError):
    """A parser accepted a damaged input as if it were whole (e.g. fewer rows from a truncated gzip)."""


@dataclass
class Case:
    """One hostile input.

    ``kind`` names how it was made (``truncated_gzip``, ``bad_id``, ...); ``must_refuse`` is True when
    the input is damaged, so that returning it as accepted is silence; ``data`` is what ``run`` needs.
    """

    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    must_refuse: bool = False

    def summary(self, limit: int = 300) -> str:
        """A short, printable description of the case (its kind and a cut-down repr of its data)."""
        text = f"{self.kind}: {self.data!r}"
        return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class HostileParser:
    """A parser of outside input, with a generator of hostile inputs for it."""

    name: str
    generate: Callable[[random.Random], Case]
    run: Callable[[Case, Path], str]


def judge(parser: HostileParser, case: Case, workdir: Path) -> tuple[str, BaseException | None]:
    """Run one case and classify it: ``(outcome, the exception behind a crash or None)``."""
    try:
        outcome = parser.run(case, workdir)
    except MedsliceError:
        return NAMED_ERRORS, None
    except Exception as error:  # anything else escaping a parser is what this benchmark hunts
        return CRASHES, error
    if case.must_refuse and outcome == ACCEPTED:
        return CRASHES, SilentAcceptanceError(f"damaged input accepted as whole ({case.kind})")
    return outcome, None


# --- Generic values -------------------------------------------------------------------------------

_WEIRD_TEXT = [
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "NA",
    "None",
    "null",
    "1e400",
    "-1e400",
    "9" * 40,
    "0x1F",
    "1_000",
    "1,5",
    "  7  ",
    "\u00e9\u00e8",
    "\ufeff",
    "\x00",
    "\u2028",
    '"',
    "a,b",
    "\n",
    "\r",
    "-0",
    "1.0",
    "+3",
    "\U0001f600",
]


def random_text(rng: random.Random, max_length: int = 40) -> str:
    """Short text: a weird token, printable ASCII or arbitrary code points (surrogates excluded)."""
    choice = rng.random()
    if choice < 0.3:
        return rng.choice(_WEIRD_TEXT)
    length = rng.randint(0, max_length)
    if choice < 0.7:
        return "".join(rng.choice(string.printable) for _ in range(length))
    chars = []
    for _ in range(length):
        code = rng.randint(0, 0x10FFFF)
        chars.append(chr(code) if not 0xD800 <= code <= 0xDFFF else "?")
    return "".join(chars)


def random_scalar(rng: random.Random) -> Any:
    """A JSON-like scalar, with the edge cases that break naive validation."""
    return rng.choice(
        [
            lambda: None,
            lambda: rng.choice([True, False]),
            lambda: rng.randint(-5, 20),
            lambda: rng.choice([0, -1, 2**31, 2**63, 10**40, -(10**40)]),
            lambda: rng.uniform(-2.0, 2.0),
            lambda: rng.choice([math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324]),
            lambda: random_text(rng),
        ]
    )()


def random_json(rng: random.Random, depth: int = 2) -> Any:
    """A JSON-like value: a scalar, or (while ``depth`` lasts) a list or a dict of them."""
    roll = rng.random()
    if depth <= 0 or roll < 0.6:
        return random_scalar(rng)
    if roll < 0.8:
        return [random_json(rng, depth - 1) for _ in range(rng.randint(0, 3))]
    return {random_text(rng, 12): random_json(rng, depth - 1) for _ in range(rng.randint(0, 3))}


def random_bytes(rng: random.Random, max_length: int = 300) -> bytes:
    """Arbitrary bytes, sometimes empty."""
    return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, max_length)))


# --- MIMIC CSV tables ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TableSpec:
    """What a valid table looks like: its file name, columns and a maker of one valid row."""

    file: str
    columns: tuple[str, ...]
    kinds: dict[str, str]
    row: Callable[[random.Random], dict[str, Any]]
    method: str
    optional: tuple[str, ...] = ()  # columns the release may leave out

    @property
    def required(self) -> tuple[str, ...]:
        """The columns a read must refuse to go without."""
        return tuple(c for c in self.columns if c not in self.optional)


def _dicom_id(rng: random.Random) -> str:
    return "-".join(f"{rng.getrandbits(32):08x}" for _ in range(5))


def _metadata_row(rng: random.Random) -> dict[str, Any]:
    view = rng.choice(["PA", "AP", "LATERAL", "LL", ""])
    return {
        "dicom_id": _dicom_id(rng),
        "subject_id": rng.randint(10_000_000, 19_999_999),
        "study_id": rng.randint(50_000_000, 59_999_999),
        "PerformedProcedureStepDescription": rng.choice(["CHEST (PA AND LAT)", "CHEST (PORTABLE AP)", ""]),
        "ViewPosition": view,
        "Rows": rng.randint(1, 4000),
        "Columns": rng.randint(1, 4000),
        "StudyDate": 21800506,
        "StudyTime": round(rng.uniform(0, 235959), 3),
        "ProcedureCodeSequence_CodeMeaning": "CHEST (PA AND LAT)",
        "ViewCodeSequence_CodeMeaning": rng.choice(["postero-anterior", "lateral", ""]),
        "PatientOrientationCodeSequence_CodeMeaning": rng.choice(["Erect", "Recumbent", ""]),
    }


def _label_row(rng: random.Random) -> dict[str, Any]:
    row: dict[str, Any] = {
        "subject_id": rng.randint(10_000_000, 19_999_999),
        "study_id": rng.randint(50_000_000, 59_999_999),
    }
    row.update({label: rng.choice(["1.0", "0.0", "-1.0", ""]) for label in schemas.LABEL_NAMES})
    return row


def _split_row(rng: random.Random) -> dict[str, Any]:
    return {
        "dicom_id": _dicom_id(rng),
        "study_id": rng.randint(50_000_000, 59_999_999),
        "subject_id": rng.randint(10_000_000, 19_999_999),
        "split": rng.choice(list(schemas.SPLIT_VALUES)),
    }


_LABEL_KINDS = {"subject_id": "id", "study_id": "id", **dict.fromkeys(schemas.LABEL_NAMES, "float")}
TABLES: dict[str, TableSpec] = {
    "metadata": TableSpec(
        schemas.METADATA_FILE,
        tuple(schemas.METADATA_COLUMNS),
        {"dicom_id": "key", "subject_id": "id", "study_id": "id", "Rows": "int", "StudyTime": "float"},
        _metadata_row,
        "metadata",
    ),
    "chexpert": TableSpec(
        schemas.CHEXPERT_FILE, tuple(schemas.LABEL_COLUMNS), _LABEL_KINDS, _label_row, "chexpert"
    ),
    "negbio": TableSpec(
        schemas.NEGBIO_FILE, tuple(schemas.LABEL_COLUMNS), _LABEL_KINDS, _label_row, "negbio"
    ),
    "split": TableSpec(
        schemas.SPLIT_FILE,
        tuple(schemas.SPLIT_COLUMNS),
        {"dicom_id": "key", "study_id": "id", "subject_id": "id", "split": "str"},
        _split_row,
        "split",
    ),
    "test_set_labeled": TableSpec(
        schemas.TEST_SET_LABELED_FILE,
        tuple(schemas.LABEL_COLUMNS),
        {**_LABEL_KINDS, "subject_id": "int"},  # the release's test set may leave subject_id blank
        _label_row,
        "test_set_labeled",
        optional=("subject_id",),
    ),
}


def _csv_cell(value: Any) -> str:
    """One CSV cell, quoted when it holds a separator, a quote or a line end."""
    text = str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_text(columns: list[str], rows: list[list[Any]], line_end: str = "\n") -> str:
    lines = [",".join(_csv_cell(c) for c in columns)]
    lines += [",".join(_csv_cell(v) for v in row) for row in rows]
    return line_end.join(lines) + line_end


def _gzip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as handle:
        handle.write(data)
    return buffer.getvalue()


# Text that no numeric column may accept (integers refuse "1.5" and 30-digit numbers as well).
_BAD_NUMBERS = ["abc", "NaN", "inf", "-inf", "1e400", "0x10", "1,000", "\u00bd", "--1", "1e"]
_TABLE_MUTATIONS = (
    "valid",
    "random_bytes",
    "truncated_gzip",
    "gzip_garbage",
    "truncated_text",
    "missing_column",
    "duplicate_column",
    "renamed_column",
    "extra_column",
    "reordered_columns",
    "bad_number",
    "blank_id",
    "huge_number",
    "nan_text_float",
    "bom",
    "double_bom",
    "mixed_line_endings",
    "long_row",
    "short_row",
    "unbalanced_quote",
    "blank_lines",
    "header_only",
    "null_bytes",
    "latin1",
    "bad_label_or_split",
)


def table_case(rng: random.Random, table: str | None = None, mutation: str | None = None) -> Case:
    """A (possibly damaged) MIMIC table: the bytes of its file, and how many data rows a whole read has."""
    name = table or rng.choice(list(TABLES))
    spec = TABLES[name]
    mutation = mutation or rng.choice(_TABLE_MUTATIONS)
    columns = list(spec.columns)
    n_rows = rng.randint(1, 6)
    rows = [[spec.row(rng)[c] for c in columns] for _ in range(n_rows)]
    must_refuse = True
    line_end = "\n"
    numeric = [c for c in columns if spec.kinds.get(c) in ("id", "int", "float")]
    ids = [c for c in columns if spec.kinds.get(c) in ("id", "key")]
    if mutation in ("valid", "truncated_gzip", "truncated_text", "gzip_garbage", "random_bytes"):
        must_refuse = mutation not in ("valid", "truncated_text")
    elif mutation == "missing_column":
        del_at = columns.index(rng.choice(columns))
        must_refuse = columns.pop(del_at) in spec.required
        rows = [row[:del_at] + row[del_at + 1 :] for row in rows]
    elif mutation == "duplicate_column":
        at = rng.randrange(len(columns))
        columns.append(columns[at])
        rows = [[*row, row[at]] for row in rows]
    elif mutation == "renamed_column":
        at = rng.randrange(len(columns))
        columns[at] = rng.choice([columns[at].upper(), columns[at] + " ", random_text(rng, 10) or "x"])
        must_refuse = columns[at] not in spec.columns and spec.columns[at] in spec.required
    elif mutation == "extra_column":
        columns.append(f"extra_{rng.randint(0, 99)}")
        rows = [[*row, random_text(rng, 10)] for row in rows]
        must_refuse = False
    elif mutation == "reordered_columns":
        order = list(range(len(columns)))
        rng.shuffle(order)
        columns = [columns[i] for i in order]
        rows = [[row[i] for i in order] for row in rows]
        must_refuse = False
    elif mutation in ("bad_number", "huge_number", "nan_text_float"):
        pool = {
            "bad_number": numeric,
            "huge_number": [c for c in numeric if spec.kinds[c] != "float"] or numeric,
            "nan_text_float": [c for c in numeric if spec.kinds[c] == "float"] or numeric,
        }[mutation]
        column = rng.choice(pool)
        integral = spec.kinds[column] != "float"
        value = {
            "bad_number": rng.choice(_BAD_NUMBERS + (["1.5", "9" * 30] if integral else [])),
            "huge_number": rng.choice(["1" + "0" * rng.randint(16, 400), "-" + "9" * 25, "1e400"]),
            "nan_text_float": rng.choice(["NaN", "nan", "inf", "-inf", "Infinity", "1e400"]),
        }[mutation]
        rows[rng.randrange(n_rows)][columns.index(column)] = value
    elif mutation == "blank_id":
        rows[rng.randrange(n_rows)][columns.index(rng.choice(ids))] = ""
    elif mutation == "bom":
        must_refuse = False
    elif mutation == "double_bom":
        # Written twice by a tool that adds its own BOM: the second one must not hide the first column.
        columns[0] = "\ufeff" + columns[0]
        must_refuse = False
    elif mutation == "mixed_line_endings":
        must_refuse = False
    elif mutation == "long_row":
        rows[rng.randrange(n_rows)].append("surplus")
    elif mutation == "short_row":
        row = rows[rng.randrange(n_rows)]
        del row[rng.randint(1, len(row) - 1) :]
    elif mutation == "blank_lines":
        pass
    elif mutation == "header_only":
        rows = []
        must_refuse = False
    elif mutation == "bad_label_or_split":
        if name == "metadata":
            pass
        elif name == "split":
            rows[rng.randrange(n_rows)][columns.index("split")] = rng.choice(["Train", "training", "x", "1"])
        else:
            label = rng.choice(list(schemas.LABEL_NAMES))
            rows[rng.randrange(n_rows)][columns.index(label)] = rng.choice(["2.0", "0.5", "-2", "1e9"])
        # read_table reads any number; the label and split values are checked by MimicCxrJpg only.
        must_refuse = False

    if mutation == "mixed_line_endings":
        text = _csv_text(columns, rows).replace("\n", "\0")
        text = "".join(rng.choice(["\n", "\r\n", "\r"]) if c == "\0" else c for c in text)
    else:
        text = _csv_text(columns, rows, line_end)
    if mutation == "blank_lines":
        lines = text.split("\n")
        lines.insert(rng.randint(1, len(lines) - 1), "")
        text = "\n".join(lines)
    if mutation == "unbalanced_quote":
        # A quote opened and never closed would swallow the rest of the file into one cell.
        lines = text.split("\n")
        at = rng.randint(1, max(1, len(lines) - 2))
        lines[at] = '"' + lines[at]
        text = "\n".join(lines)
        must_refuse = text.count('"') % 2 == 1
    data = text.encode("utf-8")
    if mutation in ("bom", "double_bom"):
        data = b"\xef\xbb\xbf" + data
    elif mutation == "null_bytes":
        at = rng.randrange(len(data))
        data = data[:at] + b"\x00" * rng.randint(1, 3) + data[at:]
        must_refuse = False  # a NUL inside a text cell may be read as part of it; whether refused or not
    elif mutation == "latin1":
        at = rng.randrange(len(data))
        data = data[:at] + rng.choice([b"\xe9", b"\xff\xfe", b"\x80abc"]) + data[at:]
    elif mutation == "random_bytes":
        data = random_bytes(rng, 400)
    elif mutation == "gzip_garbage":
        data = random_text(rng, 200).encode("utf-8", "surrogatepass")
    elif mutation == "truncated_text":
        data = data[: rng.randint(len(data) // 2, len(data) - 1)]

    gzipped = spec.file.endswith(".gz")
    if gzipped and mutation != "random_bytes":
        data = _gzip(data)
        if mutation == "truncated_gzip":
            data = data[: rng.randint(0, len(data) - 1)]
    elif mutation == "truncated_gzip":
        # A plain CSV cannot be a truncated gzip: cut it mid-row instead, which must be refused.
        data = data[: len(data) - rng.randint(2, 6)]
        must_refuse = False
    return Case(
        kind=f"{name}/{mutation}",
        data={"table": name, "bytes": data, "rows": len(rows), "gzipped": gzipped},
        must_refuse=must_refuse,
    )


def _write_table(case: Case, workdir: Path) -> Path:
    path = workdir / TABLES[case.data["table"]].file
    path.write_bytes(case.data["bytes"])
    return path


def _check_whole(case: Case, frame: pd.DataFrame) -> str:
    """A returned table must hold every data row of its file; fewer rows would be silent damage."""
    if (
        case.data["rows"] is not None
        and len(frame) != case.data["rows"]
        and not case.kind.endswith("truncated_text")
    ):
        raise SilentAcceptanceError(f"read {len(frame)} rows of {case.data['rows']} ({case.kind})")
    return ACCEPTED


def run_read_table(case: Case, workdir: Path) -> str:
    """``read_table`` with the kinds and required columns of the table the case was made from."""
    spec = TABLES[case.data["table"]]
    path = _write_table(case, workdir)
    frame = read_table(path, kinds=spec.kinds, required=spec.required)
    return _check_whole(case, frame)


def run_read_text(case: Case, workdir: Path) -> str:
    """``read_text``: any text is accepted, damage (gzip, UTF-8) must be named."""
    path = _write_table(case, workdir)
    read_text(path)
    return ACCEPTED


@functools.cache
def _valid_metadata() -> bytes:
    """The bytes of a valid metadata table, which ``MimicCxrJpg(root)`` needs to open the folder."""
    return table_case(random.Random(0), "metadata", "valid").data["bytes"]


def run_release_table(case: Case, workdir: Path) -> str:
    """The ``MimicCxrJpg`` method that reads the case's table, in a release folder holding it."""
    spec = TABLES[case.data["table"]]
    root = workdir / "release"
    root.mkdir()
    if case.data["table"] != "metadata":
        (root / schemas.METADATA_FILE).write_bytes(_valid_metadata())
    (root / spec.file).write_bytes(case.data["bytes"])
    frame = getattr(MimicCxrJpg(root), spec.method)()
    if case.kind.endswith("bad_label_or_split") and case.data["table"] != "metadata":
        raise SilentAcceptanceError(f"a label or split value out of its set was accepted ({case.kind})")
    return _check_whole(case, frame)


# --- Reports ---------------------------------------------------------------------------------------

_HEADERS = ["IMPRESSION", "FINDINGS", "INDICATION", "COMPARISON", "HISTORY", "CHEST PA AND LAT", "NOTE", "X"]


def report_text(rng: random.Random) -> str:
    """Report-like text: header lines, blank paragraphs and arbitrary characters mixed."""
    roll = rng.random()
    if roll < 0.2:
        return random_text(rng, 200)
    parts = []
    for _ in range(rng.randint(0, 6)):
        choice = rng.random()
        if choice < 0.4:
            parts.append("\n " + rng.choice(_HEADERS) + ":" + rng.choice([" ", "\n", "  ", ""]))
        elif choice < 0.55:
            parts.append("\n \n")
        elif choice < 0.65:
            parts.append(rng.choice(["\r\n", "\r", "\n"]))
        else:
            parts.append(random_text(rng, 60))
    return "".join(parts)


def report_case(rng: random.Random) -> Case:
    """Text for the section parser, with a study id (sometimes one of upstream's hand-curated ones)."""
    from medslice.mimic.sections import CUSTOM_INDICES, CUSTOM_SECTION_NAMES

    study = rng.choice(
        [None, rng.randint(0, 10**9), rng.choice(list(CUSTOM_INDICES) + list(CUSTOM_SECTION_NAMES))]
    )
    return Case(kind="report_text", data={"text": report_text(rng), "study_id": study})


def run_parse_report(case: Case, workdir: Path) -> str:
    """``parse_report`` returns every key, and keeps the full text as given."""
    parsed = parse_report(case.data["text"], study_id=case.data["study_id"])
    missing = [key for key in REPORT_KEYS if not isinstance(parsed.get(key), str)]
    if missing or parsed["full_text"] != case.data["text"] or not isinstance(parsed["main_section"], str):
        raise AssertionError(f"parse_report lost keys {missing} or the full text")
    return ACCEPTED


_REPORT_FILE_KINDS = ("report", "text", "empty", "blank", "latin1", "random_bytes", "bom", "nul")


def _report_bytes(rng: random.Random, kind: str) -> bytes:
    if kind == "report":
        return ("FINAL REPORT\n IMPRESSION: " + random_text(rng, 40) + " x\n").encode()
    if kind == "text":
        return report_text(rng).encode("utf-8")
    if kind == "empty":
        return b""
    if kind == "blank":
        return rng.choice([b" ", b"\n\n", b"\r\n \t"])
    if kind == "latin1":
        return b"FINAL REPORT\n IMPRESSION: caf\xe9 " + random_bytes(rng, 20) + b"\xff"
    if kind == "bom":
        return b"\xef\xbb\xbf IMPRESSION: ok\n"
    if kind == "nul":
        return b"IMPRESSION: \x00\x00 x\n"
    return random_bytes(rng, 200)


def reports_case(rng: random.Random) -> Case:
    """A reports location: a folder tree or a zip of 1-4 report files of mixed health, or a broken zip."""
    form = rng.choice(["tree", "tree", "zip", "zip", "corrupt_zip", "not_zip", "truncated_zip"])
    files = []
    for i in range(rng.randint(1, 4)):
        kind = rng.choice(_REPORT_FILE_KINDS)
        files.append((f"p10/p1000000{i}/s5000000{i}.txt", kind, _report_bytes(rng, kind)))
    return Case(
        kind=f"reports/{form}",
        data={"form": form, "files": files, "flip": rng.random(), "seed": rng.getrandbits(32)},
        # A zip that is cut or rewritten must be refused or its members counted, never read as whole.
        must_refuse=form in ("not_zip", "truncated_zip"),
    )


def _write_reports(case: Case, workdir: Path) -> Path:
    form = case.data["form"]
    files = case.data["files"]
    if form == "tree":
        base = workdir / "reports" / "files"
        for member, _, data in files:
            (base / member).parent.mkdir(parents=True, exist_ok=True)
            (base / member).write_bytes(data)
        return workdir / "reports"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, _, data in files:
            archive.writestr(f"files/{member}", data)
    raw = bytearray(buffer.getvalue())
    rng = random.Random(case.data["seed"])
    if form == "corrupt_zip":
        # Damage a byte of member data (past the first local header), keeping the central directory.
        at = rng.randrange(30, max(31, len(raw) // 2))
        raw[at] ^= 0xFF
    elif form == "truncated_zip":
        raw = raw[: rng.randrange(1, len(raw))]
    elif form == "not_zip":
        raw = bytearray(random_bytes(rng, 100))
    path = workdir / "mimic-cxr-reports.zip"
    path.write_bytes(bytes(raw))
    return path


def run_report_worker(case: Case, workdir: Path) -> str:
    """``MimicCxrReports`` and ``parse_entries``: each bad report is counted, each good one parsed."""
    location = _write_reports(case, workdir)
    reports = MimicCxrReports(location)
    rows = parse_entries(str(location), reports.entries)
    statuses = {row[2] for row in rows}
    if case.data["form"] == "tree":
        by_study = {row[1]: row[2] for row in rows}
        for i, (_, kind, _) in enumerate(case.data["files"]):
            status = by_study[int(f"5000000{i}")]
            if kind in ("empty", "blank") and status != EMPTY:
                raise SilentAcceptanceError(f"an {kind} report was {status}")
            if kind == "latin1" and status != UNDECODABLE:
                raise SilentAcceptanceError(f"a non-UTF-8 report was {status}")
    if len(rows) != len(reports.entries):
        raise SilentAcceptanceError("a report went uncounted")
    return ACCEPTED if statuses <= {PARSED} else QA_COUNTED


def run_build_reports_table(case: Case, workdir: Path) -> str:
    """``build_reports_table`` in process: excluded reports appear in its QA."""
    location = _write_reports(case, workdir)
    table, qa = build_reports_table(MimicCxrReports(location), n_workers=1)
    excluded = sum(bucket["count"] for bucket in qa["reports"]["excluded_reports"].values())
    if len(table) + excluded != qa["reports"]["files"]:
        raise SilentAcceptanceError("files neither in the table nor excluded")
    return QA_COUNTED if excluded else ACCEPTED


# --- JPEG headers ----------------------------------------------------------------------------------


@functools.cache
def real_jpeg() -> bytes:
    """A small real JPEG (13 x 17 px), made once with PIL."""
    from PIL import Image

    buffer = io.BytesIO()
    pixels = (np.arange(13 * 17) % 251).astype(np.uint8).reshape(13, 17)
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


_JPEG_KINDS = (
    "valid",
    "padded",
    "random_bytes",
    "truncated",
    "soi_junk",
    "no_eoi",
    "zero_size",
    "bad_length",
)


def jpeg_case(rng: random.Random) -> Case:
    """JPEG-ish bytes and the status a correct probe must not exceed."""
    kind = rng.choice(_JPEG_KINDS)
    real = real_jpeg()
    if kind == "valid":
        data = real
    elif kind == "padded":
        data = real + rng.choice([b"\x00", b"\xff"]) * rng.randint(1, 4000)
    elif kind == "random_bytes":
        data = random_bytes(rng, 600)
    elif kind == "truncated":
        data = real[: rng.randrange(0, len(real) - 2)]
    elif kind == "soi_junk":
        data = b"\xff\xd8" + random_bytes(rng, 600)
    elif kind == "no_eoi":
        data = real[:-2]
    elif kind == "zero_size":
        # A frame header declaring zero rows: no decoder can use it.
        at = real.index(b"\xff\xc0")
        data = real[: at + 5] + b"\x00\x00" + real[at + 7 :]
    else:
        data = (
            b"\xff\xd8\xff\xe0" + rng.choice([b"\x00\x00", b"\x00\x01", b"\xff\xff"]) + random_bytes(rng, 50)
        )
    return Case(
        kind=f"jpeg/{kind}", data={"bytes": data}, must_refuse=kind not in ("valid", "padded", "random_bytes")
    )


def run_probe_jpeg(case: Case, workdir: Path) -> str:
    """``probe_jpeg``: OK only for a whole JPEG, with its true size; anything else is a QA status."""
    path = workdir / "image.jpg"
    path.write_bytes(case.data["bytes"])
    status, rows, columns = probe_jpeg(path)
    if case.kind in ("jpeg/valid", "jpeg/padded") and (status, rows, columns) != (JPEG_OK, 13, 17):
        raise AssertionError(f"a whole JPEG probed as {(status, rows, columns)}")
    if case.kind == "jpeg/no_eoi" and status != JPEG_TRUNCATED:
        raise SilentAcceptanceError(f"a JPEG without its end marker probed as {status}")
    return ACCEPTED if status == JPEG_OK else QA_COUNTED


# --- User predictions ------------------------------------------------------------------------------


def _prediction_value(rng: random.Random, column: str) -> Any:
    roll = rng.random()
    if roll < 0.6:
        if column == "dicom_id":
            return f"d{rng.randint(0, 30)}"
        if column == "target":
            return rng.choice([0, 1])
        if column == "prob":
            return rng.random()
        if column == "bootstrap":
            return rng.choice([0, 1])
    if roll < 0.7:
        return rng.choice([[1], {"a": 1}, (0, 1), b"\xff", complex(1, 1), pd.Timestamp(0), object()])
    return random_scalar(rng)


def predictions_case(rng: random.Random) -> Case:
    """A predictions DataFrame: right, missing, duplicate or junk columns, and values of any type."""
    columns = ["dicom_id", "target", "prob"] + (["bootstrap"] if rng.random() < 0.4 else [])
    roll = rng.random()
    if roll < 0.1:
        columns.pop(rng.randrange(len(columns)))
    elif roll < 0.2:
        columns.append(rng.choice(columns))
    elif roll < 0.3:
        columns.append(rng.choice(["pred", "PROB", " prob", "dicom_id;target;prob", random_text(rng, 8)]))
    n_rows = rng.randint(0, 12)
    mode = rng.choice(["clean", "dirty", "percent", "scaled"])
    values = []
    for i in range(n_rows):
        row = []
        for column in columns:
            if mode == "clean":
                value = {
                    "dicom_id": f"d{i}",
                    "target": i % 2,
                    "prob": round(rng.random(), 3),
                    "bootstrap": 0,
                }.get(column, rng.random())
            elif mode == "percent" and column == "prob":
                value = rng.uniform(0, 100)
            elif mode == "scaled" and column == "prob":
                value = rng.choice([rng.random(), 1.7, -0.3])
            else:
                value = _prediction_value(rng, column)
            row.append(value)
        values.append(row)
    index = None
    if rng.random() < 0.2:
        index = [rng.choice([0, 1, "a", None]) for _ in range(n_rows)]
    frame = pd.DataFrame(values, columns=columns, index=index) if n_rows else pd.DataFrame(columns=columns)
    if rng.random() < 0.05:
        frame = rng.choice([None, [], {"dicom_id": ["a"]}, "dicom_id,target,prob"])  # not a DataFrame at all
    return Case(kind=f"predictions/{mode}", data={"frame": frame, "cohort": rng.random() < 0.5})


def run_predictions(case: Case, workdir: Path) -> str:
    """``check_predictions_table``, or ``validate_predictions`` against a small cohort."""
    frame = case.data["frame"]
    if case.data["cohort"]:
        cohort = pd.DataFrame({"dicom_id": [f"d{i}" for i in range(20)]})
        validate_predictions(
            frame, cohort, release_ids=[f"d{i}" for i in range(25)], min_rows_per_bootstrap=1
        )
    else:
        out = check_predictions_table(frame)
        if not out["prob"].between(0, 1).all() or not out["target"].isin([0, 1]).all():
            raise SilentAcceptanceError("a probability or target out of range was accepted")
    return ACCEPTED


# --- Parameters ----------------------------------------------------------------------------------


def _mutate_mapping(rng: random.Random, valid: dict[str, Any], known: list[str]) -> tuple[str, Any]:
    """``valid`` with one edit: a key set to a junk value, a key dropped, a junk key, or not a mapping."""
    roll = rng.random()
    mapping = json.loads(json.dumps(valid))
    if roll < 0.15:
        return "valid", mapping
    if roll < 0.55 and known:
        mapping[rng.choice(known)] = random_json(rng)
        return "junk_value", mapping
    if roll < 0.7 and mapping:
        mapping.pop(rng.choice(list(mapping)))
        return "dropped_key", mapping
    if roll < 0.85:
        mapping[rng.choice([random_text(rng, 12), 1, None, 2.5, True, (1, 2)])] = random_json(rng)
        return "junk_key", mapping
    return "not_a_mapping", random_json(rng)


_SCENARIO = shipped_scenarios()["spurious_correlation"]
_PARAMETER_BASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "RunConfig.from_dict": (
        {"n_classifiers": 2, "audit_draws": 2, "classifier": {"name": "small_cnn", "image_size": 64}},
        ["n_classifiers", "audit_draws", "max_retries", "min_gap", "torch_threads", "classifier"],
    ),
    "ScenarioSpec.from_dict": (
        dict(_SCENARIO),
        [
            *_SCENARIO,
            "enabled",
            "audit_mix",
            "audit_compositions",
            "run",
            "n_validate",
            "audit_pool_fraction",
        ],
    ),
    "resolve_cohort_params": ({}, list(DEFAULT_COHORT_PARAMS)),
    "SyntheticConfig.from_dict": (
        {"n_subjects": 5, "image_rows": 64},
        [
            "n_subjects",
            "image_rows",
            "full_resolution",
            "studies_per_subject",
            "prevalence",
            "quirk_shares",
            "split_fractions",
            "hedge_share",
            "test_set_opacity_name",
        ],
    ),
    "check_slicer_settings": (
        {"method": "domino", "n_slices": 3, "n_mixture_components": 6},
        [
            "method",
            "n_slices",
            "n_mixture_components",
            "covariance_type",
            "max_iter",
            "y_log_likelihood_weight",
            "y_hat_log_likelihood_weight",
            "n_pca_components",
            "init_params",
            "reg_covar",
            "n_init",
            "tol",
        ],
    ),
    "ClassifierConfig.from_dict": (
        {"name": "small_cnn", "image_size": 64, "lr": 0.001},
        ["name", "image_size", *TRAINING_KEYS],
    ),
    "ExplanationSettings.from_dict": (
        {"top_k": 3, "phrases": {"min_df": 2}},
        [field.name for field in dataclasses.fields(ExplanationSettings)],
    ),
}
_PARAMETER_CALLS: dict[str, Callable[[Any], Any]] = {
    "RunConfig.from_dict": RunConfig.from_dict,
    "ScenarioSpec.from_dict": lambda mapping: ScenarioSpec.from_dict("fuzzed", mapping),
    "resolve_cohort_params": resolve_cohort_params,
    "SyntheticConfig.from_dict": SyntheticConfig.from_dict,
    "check_slicer_settings": check_slicer_settings,
    "ClassifierConfig.from_dict": ClassifierConfig.from_dict,
    "ExplanationSettings.from_dict": ExplanationSettings.from_dict,
}


def parameters_case(rng: random.Random, function: str | None = None) -> Case:
    """A parameter mapping for one validator: its valid base with one hostile edit."""
    function = function or rng.choice(list(_PARAMETER_BASES))
    valid, known = _PARAMETER_BASES[function]
    kind, mapping = _mutate_mapping(rng, valid, known)
    return Case(kind=f"{function}/{kind}", data={"function": function, "mapping": mapping})


def run_parameters(case: Case, workdir: Path) -> str:
    """Call the validator; returning means it accepted the mapping."""
    _PARAMETER_CALLS[case.data["function"]](case.data["mapping"])
    return ACCEPTED


def _bytes_case(rng: random.Random) -> Case:
    """Plain bytes for ``read_text`` under a ``.csv.gz`` or a ``.csv`` name.

    Only damage to the bytes must be refused here (a gzip stream that is cut or not gzip, bytes that
    are not UTF-8); what the CSV says is ``read_table``'s business.
    """
    case = table_case(rng, rng.choice(["metadata", "test_set_labeled"]))
    mutation = case.kind.split("/")[1]
    gzipped = case.data["gzipped"]
    case.must_refuse = mutation == "latin1" or (gzipped and mutation in ("truncated_gzip", "random_bytes"))
    case.data["rows"] = None
    return case


PARSERS: tuple[HostileParser, ...] = (
    HostileParser("table_io.read_text", _bytes_case, run_read_text),
    HostileParser("table_io.read_table", table_case, run_read_table),
    HostileParser("MimicCxrJpg tables", table_case, run_release_table),
    HostileParser("sections.parse_report", report_case, run_parse_report),
    HostileParser("report_worker.parse_entries", reports_case, run_report_worker),
    HostileParser("ingest_reports.build_reports_table", reports_case, run_build_reports_table),
    HostileParser("jpeg_header.probe_jpeg", jpeg_case, run_probe_jpeg),
    HostileParser("user_predictions", predictions_case, run_predictions),
    *(
        HostileParser(function, lambda rng, function=function: parameters_case(rng, function), run_parameters)
        for function in _PARAMETER_BASES
    ),
)
PARSERS_BY_NAME = {parser.name: parser for parser in PARSERS}
