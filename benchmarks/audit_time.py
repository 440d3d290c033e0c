"""Benchmark: the wall time of ``kedro run --pipeline=audit`` and where it goes, stage by stage.

Runs the audit in ``--project`` (default: this repository; point it at a fresh clone, after ``make
demo`` or ``make synthetic`` there, to time a first run) and reads the node start and completion
lines that this run appends to the project's ``info.log`` (``conf/logging.yml``). With ``--from-log``
nothing is run: a run recorded in that log is summarised instead (``--run``, default the last; the
audit inside ``make demo`` is the last run of a fresh clone's log).

Printed: the run's wall time (from its first node start to its last node completion, which leaves
out Kedro's start-up of a few seconds), and the time per stage: classifier training
(``inject_failures``, per scenario), encoder training, embedding, fusion, slice discovery,
explanation, evaluation and the report. The target is the issue's: an audit on 2 cores in at most 15
minutes.

The last line is JSON: ``{"wall_s": ..., "target_s": 900, "met": ..., "stages": {stage: seconds},
"slowest_nodes": {node: seconds}}``.

Run: ``.venv/bin/python benchmarks/audit_time.py [--project DIR] [--env ENV]``, or
``.venv/bin/python benchmarks/audit_time.py --from-log DIR/info.log``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 900
_LINE = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) - \S+ - INFO - (.*)$")
_RUNNING = re.compile(r"Running node: ([^:\s]+)")
_COMPLETED = re.compile(r"Completed node: (\S+)")
_SESSION_START = "Kedro project "
# The node function names of each stage (the part of a node name after its namespace).
STAGES: dict[str, tuple[str, ...]] = {
    "ingestion": (
        "build_images_table",
        "build_reports_table",
        "build_labels_table",
        "build_patients_table",
        "build_cohort",
        "merge_ingestion_qa",
    ),
    "encoder training": ("train_encoder",),
    "embedding": ("embed_images", "embed_reports", "embed_metadata", "evaluate_encoder_quality"),
    "classifier training (inject_failures)": ("inject_failures",),
    "fusion": ("fuse_modalities",),
    "slice discovery": ("discover_slices",),
    "explanation": ("explain_slices", "build_phrase_bank"),
    "evaluation": ("evaluate_variant", "combine_metrics"),
}


def stage_of(node: str) -> str:
    """The stage a node belongs to, from its name without namespaces; ``other`` if none matches."""
    function = node.rsplit(".", 1)[-1]
    for stage, functions in STAGES.items():
        if function in functions:
            return stage
    return "report and other"


def recorded_run(lines: list[str], which: int = -1) -> list[tuple[datetime, str, str]]:
    """``(time, "start"|"done", node)`` events of one session recorded in ``lines`` (``which``: its index
    among the sessions that ran nodes, Python-style, so -1 is the last)."""
    runs: list[list[tuple[datetime, str, str]]] = []
    for line in lines:
        match = _LINE.match(line.rstrip("\n"))
        if not match:
            continue
        message = match.group(2)
        when = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f")
        if message.startswith(_SESSION_START) or not runs:
            runs.append([])
            if message.startswith(_SESSION_START):
                continue
        if running := _RUNNING.search(message):
            runs[-1].append((when, "start", running.group(1)))
        elif completed := _COMPLETED.search(message):
            runs[-1].append((when, "done", completed.group(1)))
    nonempty = [run for run in runs if run]
    if not nonempty:
        raise SystemExit("no node start/completion lines found: is this a Kedro info.log of a run?")
    if not -len(nonempty) <= which < len(nonempty):
        raise SystemExit(f"--run {which} is out of range: the log records {len(nonempty)} run(s) with nodes")
    return nonempty[which]


def summarise(events: list[tuple[datetime, str, str]]) -> dict:
    """Wall time, seconds per stage and the slowest nodes of one sequential run."""
    per_node: Counter[str] = Counter()
    started: datetime | None = None
    for when, kind, node in events:
        if kind == "start":
            started = when
        elif started is not None:
            # Running lines carry the bare function name, completion lines the namespaced one.
            per_node[node] += (when - started).total_seconds()
            started = None
    stages: Counter[str] = Counter()
    for node, seconds in per_node.items():
        stages[stage_of(node)] += seconds
    wall = (events[-1][0] - events[0][0]).total_seconds()
    return {
        "wall_s": round(wall, 1),
        "target_s": TARGET_SECONDS,
        "met": wall <= TARGET_SECONDS,
        "n_nodes": len(per_node),
        "stages": {stage: round(seconds, 1) for stage, seconds in stages.most_common()},
        "slowest_nodes": {node: round(seconds, 1) for node, seconds in per_node.most_common(8)},
    }


def run_audit(project: Path, env: str | None) -> list[str]:
    """Run the audit in ``project`` and return the ``info.log`` lines it appended."""
    log = project / "info.log"
    offset = log.stat().st_size if log.exists() else 0
    kedro = project / ".venv" / "bin" / "kedro"
    command = [str(kedro if kedro.exists() else "kedro"), "run", "--pipeline=audit"]
    if env:
        command.append(f"--env={env}")
    environment = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
        "KEDRO_LOGGING_CONFIG": str(project / "conf" / "logging.yml"),
    }
    print(f"running {' '.join(command)} in {project} ...", flush=True)
    result = subprocess.run(command, cwd=project, env=environment, stdout=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the audit failed (exit {result.returncode}); see {log}")
    with open(log, encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        return handle.readlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--project", type=Path, default=PROJECT_ROOT, help="the Kedro project to run the audit in"
    )
    parser.add_argument("--env", default=None, help="Kedro environment of the run (default: base + local)")
    parser.add_argument(
        "--from-log", type=Path, default=None, help="summarise a recorded run of this info.log"
    )
    parser.add_argument(
        "--run",
        type=int,
        default=-1,
        help="with --from-log: which recorded run, Python-style (-1: the last; make demo logs the synthetic "
        "pipeline, then the audit)",
    )
    args = parser.parse_args()
    if args.from_log is not None:
        if not args.from_log.is_file():
            raise SystemExit(f"{args.from_log} does not exist")
        lines = args.from_log.read_text(encoding="utf-8", errors="replace").splitlines()
    else:
        lines = run_audit(args.project.resolve(), args.env)
    figures = summarise(recorded_run(lines, args.run if args.from_log is not None else -1))
    print(
        f"audit wall time {figures['wall_s'] / 60:.1f} min ({figures['wall_s']:.0f} s), "
        f"target {TARGET_SECONDS // 60} min: {'met' if figures['met'] else 'NOT met'}"
    )
    for stage, seconds in figures["stages"].items():
        print(f"  {stage:40s} {seconds:7.0f} s")
    print("slowest nodes:")
    for node, seconds in figures["slowest_nodes"].items():
        print(f"  {node:48s} {seconds:7.0f} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
