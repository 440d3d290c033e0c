"""Every docstring under src/medslice uses numpydoc sections, none Google-style ones."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
PACKAGE = PROJECT / "src" / "medslice"


GOOGLE_SECTIONS = ("Args", "Arguments", "Returns", "Raises", "Attributes", "Yields", "Example", "Examples")
GOOGLE_HEADER = re.compile(r"^(?P<indent>[ \t]*)(?:" + "|".join(GOOGLE_SECTIONS) + r"):[ \t]*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def google_headers(docstring: str) -> list[str]:
    """The Google-style section header lines of ``docstring``.

    A header is one of the names alone on its line, followed by lines indented deeper than it (its
    section body), as Google-style parsers read it.
    """
    lines = docstring.expandtabs().splitlines()
    found = []
    for i, line in enumerate(lines):
        match = GOOGLE_HEADER.match(line)
        if not match:
            continue
        following = next((later for later in lines[i + 1 :] if later.strip()), None)
        if following is not None and _indent(following) > len(match["indent"]):
            found.append(line.strip())
    return found


def _docstrings(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=True)
            if docstring:
                yield getattr(node, "lineno", 1), getattr(node, "name", "<module>"), docstring


def test_no_google_style_sections():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PROJECT).as_posix()
        for lineno, name, docstring in _docstrings(path):
            for header in google_headers(docstring):
                offenders.append(f"{relative}:{lineno} {name}: {header!r}")
    assert not offenders, "Google-style docstring sections (use numpydoc):\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("docstring", "expected"),
    [
        ("Summary.\n\nArgs:\n    x: the x.\n\nReturns:\n    The y.", ["Args:", "Returns:"]),
        ("Summary.\n\n    Raises:\n        ValueError: bad.", ["Raises:"]),
        ("Summary.\n\nExample:\n    >>> 1 + 1\n    2", ["Example:"]),
        ("Summary.\n\nParameters\n----------\nx : int\n    The x.\n\nReturns\n-------\nint\n    The y.", []),
        ("Summary.\n\nThe text ends with Returns:\nnot a section.", []),
        ("Summary ending in a header line\nReturns:", []),
    ],
)
def test_google_headers_detection(docstring, expected):
    assert google_headers(docstring) == expected
