"""Every error medslice raises derives from MedsliceError, and renders as a few lines naming where."""

from __future__ import annotations

import ast
import importlib
import pickle
import typing
from pathlib import Path

import pytest

import medslice
from medslice.errors import BadValueError, DamagedFileError, MedsliceError

PACKAGE = Path(medslice.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _raised_names(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, name)`` of every ``raise Name(...)`` outside a module ``__getattr__`` (Python's protocol)."""
    found = []
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef) and func.name == "__getattr__":
            for node in ast.walk(func):
                node.medslice_protocol = True  # type: ignore[attr-defined]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Raise) or getattr(node, "medslice_protocol", False):
            continue
        call = node.exc
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
            found.append((node.lineno, call.func.id))
    return found


def test_every_raised_class_derives_from_medslice_error() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = importlib.import_module(_module_name(path))
        for line, name in _raised_names(ast.parse(path.read_text())):
            raised = getattr(module, name, None) or getattr(__builtins__, name, None)
            if raised is None and isinstance(__builtins__, dict):
                raised = __builtins__.get(name)
            if callable(raised) and not isinstance(raised, type):  # a factory: judged by what it returns
                raised = typing.get_type_hints(raised).get("return")
            if not (isinstance(raised, type) and issubclass(raised, MedsliceError)):
                offenders.append(f"{path.relative_to(PACKAGE)}:{line} raises {name}")
    assert not offenders, "\n".join(offenders)


def test_general_kinds_keep_their_builtin_base() -> None:
    with pytest.raises(ValueError, match="bad"):
        raise BadValueError("bad")


def test_summary_names_file_column_line_and_fix_in_a_few_lines() -> None:
    error = DamagedFileError(
        "cannot parse 'xyz' as a time", path="files/x.csv.gz", column="StudyTime", line=7, fix="Repair it."
    )
    lines = error.summary_lines()
    assert lines[0] == "DamagedFileError: cannot parse 'xyz' as a time"
    assert lines[1] == "  where: file files/x.csv.gz, column 'StudyTime', line 7"
    assert lines[2] == "  fix:   Repair it."
    assert "files/x.csv.gz" in str(error) and "line 7" in str(error)


def test_summary_shortens_a_huge_message() -> None:
    error = BadValueError("x" * 50_000_000)
    text = "\n".join(error.summary_lines())
    assert len(text) < 3_000
    assert "49,998,000 more characters" in text


def test_errors_survive_pickling_for_dask_workers() -> None:
    error = DamagedFileError("bad gzip", path="a.csv.gz", column="c", line=3, fix="Download it again.")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is DamagedFileError
    assert (copy.path, copy.column, copy.line, copy.fix) == ("a.csv.gz", "c", 3, "Download it again.")
    assert str(copy) == str(error)
