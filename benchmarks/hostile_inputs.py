"""Benchmark: thousands of hostile inputs fed to every parser of outside input; none may crash.

The parsers: the MIMIC CSV readers (``table_io.read_text`` / ``read_table`` and the ``MimicCxrJpg``
table methods), the report section parser, the report reader (``report_worker.parse_entries``,
``ingest_reports.build_reports_table``), the JPEG header probe, the ``user_predictions.csv`` validator
and the parameter validators (``RunConfig``, ``ScenarioSpec``, cohort, synthetic release, slicer,
classifier, explanation keys). The cases come from ``benchmarks/hostile_cases.py`` (shared with
``tests/test_hostile_inputs.py``), drawn from ``random.Random(seed)``, so a seed gives the same cases.

Each outcome is one of: ``named_errors`` (a ``MedsliceError`` was raised), ``qa_counted`` (the parser
returned and counted the damage, e.g. an image probed as unreadable), ``accepted`` (returned, valid
input) and ``crashes`` (any other exception, or a damaged input accepted as whole). The first crashes
are printed with their input and traceback, then a table per parser; the last line is JSON:
``{"cases": N, "named_errors": N, "qa_counted": N, "accepted": N, "crashes": N}``. Target: 0 crashes.

Run: ``.venv/bin/python benchmarks/hostile_inputs.py [--seed 0] [--cases-per-parser 700]``
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # build_reports_table's progress bar, once per case
sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_cases import CRASHES, OUTCOMES, PARSERS, judge  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the case generator (default 0)")
    parser.add_argument(
        "--cases-per-parser", type=int, default=700, help="cases per parser (default 700: 15 parsers, 10,500)"
    )
    parser.add_argument("--show", type=int, default=5, help="how many crashes to print in full")
    parser.add_argument("--only", nargs="*", default=None, help="run only the parsers with these names")
    args = parser.parse_args()

    logging.disable(logging.WARNING)  # parsers log every excluded report; the counts are the point here
    warnings.simplefilter("ignore")
    counts = {p.name: dict.fromkeys(OUTCOMES, 0) for p in PARSERS}
    shown = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        for index, hostile in enumerate(PARSERS):
            if args.only and hostile.name not in args.only:
                continue
            # One generator per parser, seeded from --seed and the parser's position, so that adding
            # cases to one parser does not change the others'.
            rng = random.Random(args.seed * 1000 + index)
            for number in range(args.cases_per_parser):
                case = hostile.generate(rng)
                workdir = Path(tmp) / f"{index}-{number}"
                workdir.mkdir()
                outcome, error = judge(hostile, case, workdir)
                counts[hostile.name][outcome] += 1
                if outcome == CRASHES and shown < args.show:
                    shown += 1
                    print(f"--- crash in {hostile.name}, case {number}: {case.summary()}")
                    print("".join(traceback.format_exception(error)))
    wall = time.perf_counter() - start

    print(f"{'parser':40s} {'cases':>6s} " + " ".join(f"{o:>12s}" for o in OUTCOMES))
    totals = dict.fromkeys(OUTCOMES, 0)
    for name, row in counts.items():
        n = sum(row.values())
        if not n:
            continue
        print(f"{name:40s} {n:6d} " + " ".join(f"{row[o]:12d}" for o in OUTCOMES))
        for outcome in OUTCOMES:
            totals[outcome] += row[outcome]
    print(f"wall time {wall:.1f} s")
    print(json.dumps({"cases": sum(totals.values()), **totals}))


if __name__ == "__main__":
    main()
