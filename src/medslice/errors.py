"""The errors medslice raises: one base class, :class:`MedsliceError`, and a few general kinds.

Every error medslice raises derives from :class:`MedsliceError`, so a caller (and the command line) can
tell "medslice refused this input, and says why" from a bug. Each general kind also derives from the
built-in exception it stands for (``ValueError``, ``TypeError``, ...), so ``except ValueError`` keeps
working. An error about a file carries where it happened: the file, the column and the 1-based CSV line,
and how to fix it; :meth:`MedsliceError.summary_lines` renders those as the few lines the CLI prints.

This module imports nothing from medslice or Kedro: every package may raise these.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

__all__ = [
    "BadTypeError",
    "BadValueError",
    "DamagedFileError",
    "MedsliceError",
    "MissingDependencyError",
    "MissingFileError",
    "NotFittedError",
    "OverwriteError",
    "UnknownNameError",
    "closest",
    "unknown_keys_message",
]


def closest(name: object, known: Iterable[object]) -> str | None:
    """The known name closest to ``name``, for a "did you mean"; None when none is close enough.

    The one place medslice decides what counts as close (difflib's similarity ratio of at least 0.6).
    """
    matches = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    return matches[0] if matches else None


def unknown_keys_message(unknown: list[str], known: list[str], where: str) -> str:
    """``<where> has unknown key(s) [...] (did you mean <where>.<key>?); known: [...]``."""
    match = closest(unknown[0], known)
    hint = f" (did you mean {where}.{match}?)" if match else ""
    return f"{where} has unknown key(s) {unknown}{hint}; known: {known}"


class MedsliceError(Exception):
    """Base of every error medslice raises.

    Parameters
    ----------
    message : str
        What went wrong, in one sentence a user can act on.
    path : str or Path, optional
        The file at fault, if any.
    column : str, optional
        The column at fault, if any.
    line : int, optional
        The 1-based line of ``path`` at fault (for a CSV: the header is line 1, the first row line 2).
    fix : str, optional
        How to fix it.
    """

    def __init__(
        self,
        message: str = "",
        *,
        path: str | Path | None = None,
        column: str | None = None,
        line: int | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)
        self.column = column
        self.line = line
        self.fix = fix

    def where(self) -> str:
        """``file F, column C, line L``: the parts that are known, or an empty string."""
        parts = []
        if self.path is not None:
            parts.append(f"file {self.path}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = self.message
        where = self.where()
        if where:
            text += f" ({where})"
        if self.fix:
            text += f" {self.fix}"
        return text

    def summary_lines(self, limit: int = 2_000) -> list[str]:
        """The few lines the command line prints: what, where and how to fix it (each part shortened).

        ``limit`` caps the characters of the message, so a file of junk cannot fill the console.
        """
        message = _shorten(self.message or type(self).__name__, limit)
        lines = [f"{type(self).__name__}: {message}"]
        if self.where():
            lines.append(f"  where: {self.where()}")
        if self.fix:
            lines.append(f"  fix:   {_shorten(self.fix, limit)}")
        return lines


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]} ... ({len(text) - limit:,} more characters)"


class BadValueError(MedsliceError, ValueError):
    """An argument, setting or table holds a value medslice cannot use."""


class BadTypeError(MedsliceError, TypeError):
    """An argument or setting has the wrong type."""


class DamagedFileError(MedsliceError, ValueError):
    """A file could not be read: damaged, truncated, not the format its name says, or a value in it
    cannot be parsed. Carries the file, and the column and CSV line where known."""


class MissingFileError(MedsliceError, FileNotFoundError):
    """A file or folder medslice needs does not exist."""


class OverwriteError(MedsliceError, FileExistsError):
    """Writing would overwrite something that must be kept."""


class UnknownNameError(MedsliceError, KeyError):
    """A name (a classifier, an id, a column) that medslice does not know."""


class MissingDependencyError(MedsliceError, ImportError):
    """An optional library that this feature needs is not installed."""


class NotFittedError(MedsliceError, RuntimeError):
    """An estimator was used before ``fit``."""
