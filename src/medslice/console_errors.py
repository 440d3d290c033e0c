"""Show a :class:`~medslice.errors.MedsliceError` on the console as a few lines, its traceback in the log.

A medslice error is a refusal with a reason: the input, the file, the column and line, and the fix. Under
Kedro's rich traceback handler that reason arrives at the bottom of 170–300 lines of frames that say
nothing to a user. :func:`install` chains a ``sys.excepthook`` in front of the one Kedro's logging set up:
for a medslice error (raised, or the cause of a Kedro ``DatasetError``) it writes the whole traceback to
the file handlers of the logging configuration (``info.log``) and prints the summary; any other exception
(a bug) goes to the previous hook and shows in full.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from medslice.errors import MedsliceError

logger = logging.getLogger("medslice")

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]

SETTINGS_FIX = "Correct the key in conf/<env>/parameters/ (or the --params you passed); nothing was run."


class SettingsRefused(MedsliceError):
    """Kedro's refusal of the parameters, shown as medslice shows its own (typed settings build there)."""


_CONTEXT_CHARACTERS = 300  # of the Kedro message around a medslice error, e.g. which dataset failed


def medslice_cause(error: BaseException) -> MedsliceError | None:
    """``error`` itself when it is a medslice error, else the first one in its cause chain, else None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, MedsliceError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def kedro_refusal(error: BaseException) -> bool:
    """Whether ``error`` is Kedro refusing the parameters (typed settings that failed to build)."""
    try:
        from kedro.validation.exceptions import ParameterValidationError
    except ImportError:  # an older Kedro, without typed parameters
        return False
    return isinstance(error, ParameterValidationError)


def log_files() -> list[logging.FileHandler]:
    """The file handlers of the root and ``medslice`` loggers (``info.log`` in Kedro's configuration)."""
    handlers = [*logging.getLogger().handlers, *logger.handlers]
    return [handler for handler in handlers if isinstance(handler, logging.FileHandler)]


def summary(error: BaseException, cause: MedsliceError, log_names: list[str]) -> list[str]:
    """The lines printed for ``error`` whose medslice cause is ``cause``."""
    lines = []
    if (
        error is not cause and cause.message not in str(error) and not isinstance(cause, SettingsRefused)
    ):  # Kedro's wrapper may only add a name
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        if len(first) > _CONTEXT_CHARACTERS:
            first = first[:_CONTEXT_CHARACTERS] + " ..."
        lines.append(f"{type(error).__name__}: {first}")
    lines += cause.summary_lines()
    if log_names:
        lines.append(f"The full traceback is in {', '.join(log_names)}.")
    return lines


def compact_hook(previous: ExceptHook, stream: TextIO | None = None) -> ExceptHook:
    """An excepthook that summarises medslice errors and hands every other exception to ``previous``."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        cause = medslice_cause(error)
        if cause is None and kedro_refusal(error):
            cause = SettingsRefused(str(error).strip(), fix=SETTINGS_FIX)
        files = log_files()
        if cause is None or not files:  # a bug, or nowhere to keep the traceback: show it all
            previous(kind, error, trace)
            return
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 0, "%s", (type(cause).__name__,), (kind, error, trace)
        )
        for handler in files:
            handler.handle(record)
        lines = summary(error, cause, [handler.baseFilename for handler in files])
        print("\n".join(lines), file=stream or sys.stderr)

    hook.medslice_compact = True  # type: ignore[attr-defined]
    return hook


def install() -> None:
    """Chain :func:`compact_hook` in front of the current ``sys.excepthook`` (once)."""
    if not getattr(sys.excepthook, "medslice_compact", False):
        sys.excepthook = compact_hook(sys.excepthook)
