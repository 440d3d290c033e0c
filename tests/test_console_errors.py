"""Medslice errors print as a few lines with the traceback in the log file; other exceptions in full."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import pytest
from kedro.io import DatasetError

from medslice.console_errors import compact_hook, medslice_cause
from medslice.errors import DamagedFileError


@pytest.fixture
def log_file(tmp_path: Path):
    handler = logging.FileHandler(tmp_path / "info.log", delay=True)
    logging.getLogger().addHandler(handler)
    yield tmp_path / "info.log"
    logging.getLogger().removeHandler(handler)
    handler.close()


def _raised(error: BaseException) -> tuple[type[BaseException], BaseException, object]:
    try:
        raise error
    except BaseException:  # noqa: BLE001 - any, to hand to the hook as Python would
        return sys.exc_info()  # type: ignore[return-value]


def test_a_medslice_error_prints_a_few_lines_and_logs_the_traceback(log_file: Path) -> None:
    seen: list[BaseException] = []
    shown = io.StringIO()
    hook = compact_hook(lambda kind, error, trace: seen.append(error), stream=shown)
    error = DamagedFileError("bad value", path="m.csv.gz", column="Rows", line=7, fix="Repair it.")
    hook(*_raised(error))
    lines = shown.getvalue().splitlines()
    assert lines[0] == "DamagedFileError: bad value"
    assert "column 'Rows', line 7" in lines[1] and "Repair it." in lines[2]
    assert lines[-1].startswith("The full traceback is in ") and str(log_file) in lines[-1]
    assert len(lines) <= 5 and "Traceback" not in shown.getvalue()
    assert "Traceback (most recent call last)" in log_file.read_text()
    assert not seen


def test_a_wrapped_medslice_error_is_found_through_its_cause(log_file: Path) -> None:
    cause = DamagedFileError("cut short", path="p.csv.gz")
    try:
        try:
            raise cause
        except DamagedFileError as inner:
            raise DatasetError("Failed while loading data from dataset CSVDataset(...).") from inner
    except DatasetError as outer:
        assert medslice_cause(outer) is cause
        shown = io.StringIO()
        compact_hook(lambda *a: None, stream=shown)(type(outer), outer, outer.__traceback__)
    assert shown.getvalue().startswith(
        "DatasetError: Failed while loading data from dataset CSVDataset(...)."
    )
    assert "DamagedFileError: cut short" in shown.getvalue()


def test_a_bug_keeps_its_full_traceback(log_file: Path) -> None:
    seen: list[BaseException] = []
    shown = io.StringIO()
    hook = compact_hook(lambda kind, error, trace: seen.append(error), stream=shown)
    bug = ZeroDivisionError("division by zero")
    hook(*_raised(bug))
    assert seen == [bug] and shown.getvalue() == ""


def test_kedros_refusal_of_typed_parameters_is_shown_like_a_medslice_error(log_file: Path) -> None:
    from kedro.validation.exceptions import ParameterValidationError

    shown = io.StringIO()
    refusal = ParameterValidationError("Parameter validation failed:\n- Parameter 'embedding': bad key")
    compact_hook(lambda *a: None, stream=shown)(*_raised(refusal))
    assert shown.getvalue().startswith("SettingsRefused: Parameter validation failed:")
    assert "Parameter 'embedding': bad key" in shown.getvalue() and "Traceback" not in shown.getvalue()
