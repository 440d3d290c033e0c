"""Read and parse reports inside a pool worker process.

Kept free of pandas and pyarrow so that spawned workers start in a fraction of a second and stay
small.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache

from medslice.errors import DamagedFileError
from medslice.mimic.reports_source import MimicCxrReports
from medslice.mimic.sections import REPORT_KEYS, parse_report

# Outcome of parsing one report file.
PARSED = "parsed"
EMPTY = "empty"
UNDECODABLE = "undecodable"
UNPARSEABLE = "unparseable"


@lru_cache(maxsize=4)
def _source(location: str, version: tuple[int, int]) -> MimicCxrReports:
    """One reports handle per worker process and location version (a zip is opened once, not once
    per report; a rewritten zip gets a fresh handle)."""
    return MimicCxrReports(location)


def parse_entries(location: str, entries: Sequence[tuple[int, int, str]]) -> list[tuple]:
    """Read and parse reports; one ``(subject, study, status, has_main, *REPORT_KEYS)`` each.

    Runs in worker processes, so it takes the location (picklable) rather than an open handle.
    """
    stat = os.stat(location)
    source = _source(location, (stat.st_mtime_ns, stat.st_size))
    rows = []
    for subject_id, study_id, member in entries:
        try:
            text = source.read(member)
        except DamagedFileError:  # not UTF-8, or a damaged zip member: counted, and the others go on
            rows.append((subject_id, study_id, UNDECODABLE, False))
            continue
        if not text.strip():
            rows.append((subject_id, study_id, EMPTY, False))
            continue
        try:
            parsed = parse_report(text, study_id=study_id)
        except Exception:  # one malformed report must not stop 227k others
            rows.append((subject_id, study_id, UNPARSEABLE, False))
            continue
        sections = tuple(parsed[name] for name in REPORT_KEYS)
        rows.append((subject_id, study_id, PARSED, bool(parsed["main_section"].strip()), *sections))
    return rows
