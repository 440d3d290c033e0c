"""Benchmark: audited bootstraps per hour, in process and on a Dask LocalCluster of one and two workers.

One scenario's failure injection (``run_scenario``: trained classifiers, then their audit draws) is run
three times on the same cohort and settings, with one torch thread per unit:

* ``seq``: in process, no Dask client;
* ``dask1``: on a ``LocalCluster`` with one one-thread worker;
* ``dask2``: on a ``LocalCluster`` with two one-thread workers.

Each run starts from an empty checkpoint store, so every unit is computed. The three results are checked
byte for byte (predictions and QA) before any figure is printed. Throughput is bootstraps per hour of wall
time, cluster start-up excluded; the parallel efficiency is ``dask2 / (2 x dask1)``.

``--downstream`` also runs ``benchmarks/downstream_cost.py`` on the same data folder and reports its
seconds per bootstrap for the work after the classifiers (fusion, slicing, explanation, evaluation over
all 35 scenario x variant cells).

It needs the project's cohort: run ``kedro run --pipeline=audit`` (or at least ``--pipeline=ingestion``)
first. The last line is one JSON object with ``seq_bootstraps_per_hour``, ``dask1_bootstraps_per_hour``,
``dask2_bootstraps_per_hour``, ``efficiency``, ``downstream_s_per_bootstrap`` and ``s_per_classifier``
(sequential seconds per classifier with its audit draws).

Run: ``.venv/bin/python benchmarks/audit_throughput.py [--scenario spurious_correlation]
[--n-classifiers 4] [--audit-draws 3] [--max-epochs 8] [--downstream]``
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from medslice.runner.checkpoints import CheckpointStore
from medslice.scenarios import ScenarioSpec, run_scenario

PROJECT = Path(__file__).resolve().parents[1]


def newest(folder: Path) -> Path:
    """The newest version of a versioned dataset folder ``<name>/<version>/<name>``."""
    versions = sorted(folder.glob(f"*/{folder.name}"))
    if not versions:
        raise SystemExit(f"{folder} holds no version: run `kedro run --pipeline=audit` first")
    return versions[-1]


def base_parameters() -> dict[str, Any]:
    """``failure_injection`` from conf/base."""
    text = (PROJECT / "conf" / "base" / "parameters" / "failure_injection.yml").read_text()
    return yaml.safe_load(text)["failure_injection"]


def timed_run(settings: dict[str, Any], n_workers: int | None) -> tuple[float, Any]:
    """Run the scenario with a fresh checkpoint store; ``n_workers`` None runs in process."""
    with tempfile.TemporaryDirectory() as folder:
        store = CheckpointStore(folder)
        if n_workers is None:
            start = time.perf_counter()
            result = run_scenario(**settings, checkpoints=store)
            return time.perf_counter() - start, result
        from distributed import Client, LocalCluster

        from medslice.runner.dask_runner import use_project_dask_config

        use_project_dask_config(PROJECT / "conf" / "dask")  # the workers' environment, as the runner sets it

        with (
            LocalCluster(n_workers=n_workers, threads_per_worker=1, dashboard_address=None) as cluster,
            Client(cluster),
        ):
            start = time.perf_counter()
            result = run_scenario(**settings, checkpoints=store)
            return time.perf_counter() - start, result


def downstream(data: Path) -> float | None:
    """``downstream_s_per_bootstrap`` from ``benchmarks/downstream_cost.py``'s JSON line."""
    script = PROJECT / "benchmarks" / "downstream_cost.py"
    completed = subprocess.run(
        [sys.executable, str(script), "--data", str(data)], capture_output=True, text=True, check=False
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        print(completed.stdout[-2000:], completed.stderr[-2000:])
        return None
    return float(json.loads(lines[-1])["downstream_s_per_bootstrap"])


def main() -> None:
    """Run the scenario three ways, check the bytes agree, print the throughput and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=PROJECT / "data", help="the project's data folder")
    parser.add_argument("--scenario", default="spurious_correlation")
    parser.add_argument("--n-classifiers", type=int, default=4)
    parser.add_argument("--audit-draws", type=int, default=3)
    parser.add_argument("--max-epochs", type=int, default=None, help="override the classifier's epochs")
    parser.add_argument("--downstream", action="store_true", help="also time the work after the classifiers")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    parameters = base_parameters()
    cohort = pd.read_parquet(newest(args.data / "03_primary" / "cohort.parquet"))
    spec = ScenarioSpec.from_dict(args.scenario, parameters["scenarios"][args.scenario])
    run = {k: v for k, v in parameters["run"].items() if k not in ("n_classifiers", "audit_draws")}
    classifier = dict(run.pop("classifier"))
    if args.max_epochs is not None:
        classifier["max_epochs"] = args.max_epochs
    settings = {
        "cohort": cohort,
        "spec": spec,
        "image_root": args.data / "01_raw" / "mimic-cxr-jpg" / "2.1.0",
        **run,
        "torch_threads": 1,
        "classifier": classifier,
        "n_classifiers": args.n_classifiers,
        "audit_draws": args.audit_draws,
        "seed": 42,
        "show_progress": False,
    }
    n_bootstraps = args.n_classifiers * args.audit_draws
    walls, results = {}, {}
    for name, workers in (("seq", None), ("dask1", 1), ("dask2", 2)):
        walls[name], results[name] = timed_run(settings, workers)
        print(f"{name:6s} {n_bootstraps} bootstraps in {walls[name]:7.1f} s", flush=True)
    for name in ("dask1", "dask2"):
        pd.testing.assert_frame_equal(results[name].predictions, results["seq"].predictions, check_exact=True)
        same = json.dumps(results[name].qa, sort_keys=True) == json.dumps(results["seq"].qa, sort_keys=True)
        assert same, f"{name} QA differs from the sequential run's"
    print("dask1 and dask2 results are byte-identical to the sequential run's")
    per_hour = {name: round(3600 * n_bootstraps / wall, 1) for name, wall in walls.items()}
    efficiency = per_hour["dask2"] / (2 * per_hour["dask1"])
    # One classifier trains for each audit_draws bootstraps: split the sequential time by unit kind.
    epochs = [len(c["training"]["epochs"]) for c in results["seq"].qa["classifiers"]]
    downstream_s = downstream(args.data) if args.downstream else None
    for name, rate in per_hour.items():
        print(f"{name:6s} {rate:8.1f} bootstraps per hour")
    print(f"parallel efficiency (2 workers / 2 x 1 worker): {efficiency:.2f} (target >= 0.8)")
    if downstream_s is not None:
        print(f"after the classifiers: {downstream_s:.2f} s per bootstrap over 35 cells (target <= 5)")
    print(
        json.dumps(
            {
                "scenario": args.scenario,
                "n_classifiers": args.n_classifiers,
                "audit_draws": args.audit_draws,
                "mean_epochs": round(sum(epochs) / len(epochs), 2),
                "seq_wall_s": round(walls["seq"], 1),
                "seq_bootstraps_per_hour": per_hour["seq"],
                "dask1_bootstraps_per_hour": per_hour["dask1"],
                "dask2_bootstraps_per_hour": per_hour["dask2"],
                "efficiency": round(efficiency, 3),
                "s_per_classifier": round(walls["seq"] / args.n_classifiers, 2),
                "downstream_s_per_bootstrap": None if downstream_s is None else round(downstream_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
