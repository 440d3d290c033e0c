"""Refuse misspelt keys in a parameters block, naming the closest known key.

Nodes read their settings with ``.get(key, default)``, so without this check ``explanation.top_kk=3``
would run with the default and say nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any


class UnknownSettingError(ValueError):
    """A parameters block holds a key no node reads."""


def check_known_keys(block: Mapping[str, Any] | None, known: Iterable[str], where: str) -> None:
    """Raise :class:`UnknownSettingError` for keys of ``block`` not in ``known`` (``where``: its name)."""
    known = sorted(known)
    unknown = sorted(str(key) for key in (block or {}) if key not in known)
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], known, n=1)
    hint = f" (did you mean {where}.{close[0]}?)" if close else ""
    raise UnknownSettingError(f"{where} has unknown key(s) {unknown}{hint}; known: {known}")
