"""Benchmark: how much of an audit's precision@10 is the slicer's random start, and what n_init buys back.

Reads an audit's artifacts: each scenario's ``predictions`` and each variant's ``fused_embeddings``, through
the Kedro catalog (run ``kedro run --pipeline=audit`` first), or with ``--data DIR`` straight from the
latest versions under an audit's data folder (with ``conf/base`` parameters). It refits the configured
slicer (``params:slice_discovery.slicer``, Domino with the paper's settings by default) on every accepted
bootstrap of every scenario x variant cell with ``--n-starts`` random starts, once per ``--n-init`` value
(Domino's ``n_init``: EM from that many initialisations, the best lower bound kept), and scores each refit
with the paper's weighted precision@10, exactly as the ``evaluation`` pipeline does. Start ``i`` seeds the
slicer with the project ``seed`` (or ``--seed``) + 10 i (+ the bootstrap, as the pipeline does), so start
0 with the audit's own ``n_init`` and seed reproduces the audit's slices. Printed per ``n_init`` and scenario:

- per variant, the mean over bootstraps for each start, then the mean and the spread (max - min) of those
  means: how far a variant's headline number moves on the random start alone;
- the best variant by mean over starts, against the ideal error slice (``method == "ideal_error_slice"``
  in ``metrics``): the paper precision@10 of the best slice made only of misclassified cases.

Then, per ``n_init``, the stability figures:

- ``cell_sd``: the mean over cells (scenario x variant x bootstrap) of the standard deviation (ddof 1)
  over starts of the cell's paper precision@10;
- ``best_sd``: per scenario, the standard deviation over starts of the best variant's scenario mean
  (the best variant chosen anew under each start, as a reader of that run would), and its mean over
  scenarios;
- ``slicing_s``: seconds spent in slice discovery (``discover_per_bootstrap``), and ``cost_ratio``
  against the first ``--n-init`` value, measured in the same run with the arms interleaved cell by cell;
- ``unconverged``: the share of fits whose kept EM run stopped at ``max_iter``.

``--reg-covar`` refits with other covariance regularisations (Domino's default is 1e-6) to show how far
the Gaussian term of the mixture, not the error terms, decides the slices (decision 19). ``--variants``
and ``--max-bootstraps`` (N accepted bootstraps of each scenario, evenly spaced over its classifiers)
keep a run short. Nothing is
written; the artifacts are only read.

The last line is JSON: ``{"seeds": [...], "n_init": [...], "bootstraps": {scenario: [...]},
"reg_covar": {value: {n_init: {"cell_sd": ..., "best_sd": ..., "best_sd_by_scenario": {...},
"best_mean_by_scenario": {...}, "slicing_s": ..., "cost_ratio": ..., "unconverged": ..., "scenarios":
{scenario: {"best_variant": ..., "best_mean": ..., "ideal_error_slice": ..., "variants": {variant:
{"mean": ..., "spread": ...}}}}}}}, "wall_s": ...}``.

Run: ``.venv/bin/python benchmarks/slicer_stability.py [--data DIR] [--n-starts 3] [--n-init 1 5 10]
[--reg-covar 1e-6] [--scenarios noisy_label ...] [--variants image ...] [--max-bootstraps 12] [--seed 42]
[--env tiny]``
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml
from kedro.io import Version
from sklearn.exceptions import ConvergenceWarning

from medslice.datasets import ArrowParquetDataset, ParquetDataset
from medslice.evaluation.audit import evaluate_slices, ideal_error_slice_metrics
from medslice.slicing.per_bootstrap import discover_per_bootstrap

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NO_EXPLANATIONS = pd.DataFrame(columns=["bootstrap", "slice", "kind", "source", "rank", "term"])
UNCONVERGED = "did not converge"


def load_audit(
    scenarios: list[str] | None,
    env: str | None = None,
    data: Path | None = None,
    variants: list[str] | None = None,
) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict]:
    """The project parameters, predictions per scenario and fused embeddings per scenario x variant.

    Through the Kedro catalog of ``env``, or, with ``data``, the latest version of each file under that
    data folder and the parameters of ``conf/base``.
    """
    if data is not None:
        return _load_audit_files(data, scenarios, variants)
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(project_path=PROJECT_ROOT, env=env) as session:
        context = session.load_context()
        catalog, params = context.catalog, context.params
        chosen = scenarios or _enabled_scenarios(params)
        chosen_variants = variants or list(params["slice_discovery"]["variants"])
        predictions = {s: catalog.load(f"{s}.predictions") for s in chosen}
        fused = {(s, v): catalog.load(f"{s}.{v}.fused_embeddings") for s in chosen for v in chosen_variants}
    _quiet_logs()
    return params, predictions, fused


def _enabled_scenarios(params: dict[str, Any]) -> list[str]:
    # The audit builds no namespace for a scenario marked `enabled: false` (conf/tiny disables two).
    declared = params["failure_injection"]["scenarios"]
    return [name for name, spec in declared.items() if (spec or {}).get("enabled", True)]


def _quiet_logs() -> None:
    for name in ("", "kedro", "medslice"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _latest(dataset_type: type, path: Path) -> Any:
    return dataset_type(filepath=str(path), version=Version(None, None)).load()


def _load_audit_files(
    data: Path, scenarios: list[str] | None, variants: list[str] | None
) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict]:
    params: dict[str, Any] = {}
    for path in sorted((PROJECT_ROOT / "conf" / "base" / "parameters").glob("*.yml")):
        params.update(yaml.safe_load(path.read_text()) or {})
    output = data / "07_model_output"
    chosen = scenarios or [s for s in _enabled_scenarios(params) if (output / s).is_dir()]
    if not chosen:
        raise SystemExit(f"{data} holds no audit predictions: run one, or pass another --data")
    chosen_variants = variants or list(params["slice_discovery"]["variants"])
    predictions = {s: _latest(ParquetDataset, output / s / "predictions.parquet") for s in chosen}
    fused = {
        (s, v): _latest(ArrowParquetDataset, output / s / v / "fused_embeddings.parquet")
        for s in chosen
        for v in chosen_variants
    }
    _quiet_logs()
    return params, predictions, fused


@dataclass(frozen=True)
class Cell:
    """One scenario x variant: its accepted predictions and their fused embeddings."""

    scenario: str
    variant: str
    fused: pa.Table
    accepted: pd.DataFrame

    @classmethod
    def of(
        cls,
        scenario: str,
        variant: str,
        fused: pa.Table,
        predictions: pd.DataFrame,
        bootstraps: list[int] | None = None,
    ) -> Cell:
        """The cell's accepted rows, of ``bootstraps`` only when given."""
        accepted = predictions[predictions["accepted"].fillna(False).astype(bool)]
        if bootstraps is not None:
            accepted = accepted[accepted["bootstrap"].isin(bootstraps)]
        kept = fused.filter(np.isin(fused.column("bootstrap").to_numpy(), accepted["bootstrap"].unique()))
        return cls(scenario, variant, kept, accepted)


@dataclass(frozen=True)
class Refit:
    """One refit of a cell: paper precision@10 per bootstrap, slicing seconds, unconverged fits."""

    precision: pd.Series
    slicing_s: float
    n_unconverged: int
    n_fits: int


def refit(cell: Cell, slicer: dict[str, Any], seed: int) -> Refit:
    """Slice discovery and evaluation of one cell, as the pipeline runs them, with ``seed``."""
    started = time.perf_counter()
    with warnings.catch_warnings():
        # Recorded in each bootstrap's summary and counted below; one line per fit would drown the output.
        warnings.simplefilter("ignore", ConvergenceWarning)
        slices, summary = discover_per_bootstrap(cell.fused, cell.accepted, slicer, seed=seed)
    slicing_s = time.perf_counter() - started
    metrics = evaluate_slices(slices, cell.accepted, NO_EXPLANATIONS, scenario="", variant="")
    precision = metrics[metrics["metric"] == "paper_precision_at_10"].set_index("bootstrap")["value"]
    warned = summary.groupby("bootstrap")["warning"].first() if len(summary) else pd.Series(dtype=str)
    return Refit(
        precision=precision.sort_index(),
        slicing_s=slicing_s,
        n_unconverged=int(warned.str.contains(UNCONVERGED).sum()),
        n_fits=int(cell.accepted["bootstrap"].nunique()),
    )


def audit_arguments(description: str, n_starts: int) -> argparse.ArgumentParser:
    """The options every refit-the-audit benchmark takes: ``--n-starts``, ``--scenarios`` and ``--env``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--n-starts", type=int, default=n_starts, help="random starts of the slicer per variant"
    )
    parser.add_argument("--scenarios", nargs="+", default=None)
    parser.add_argument(
        "--env",
        default=None,
        help="the Kedro environment whose audit to reload (default: KEDRO_ENV or local)",
    )
    return parser


def chosen_bootstraps(predictions: pd.DataFrame, max_bootstraps: int | None) -> list[int]:
    """The scenario's accepted bootstraps, or ``max_bootstraps`` of them evenly spaced when given.

    Bootstraps are numbered classifier by classifier, so evenly spaced ones keep every accepted
    classifier in the subset, where the first few would all be audit draws of the first classifier.
    """
    accepted = predictions.loc[predictions["accepted"].fillna(False).astype(bool), "bootstrap"]
    ids = sorted(int(b) for b in accepted.unique())
    if max_bootstraps is None or max_bootstraps >= len(ids):
        return ids
    return [ids[i] for i in np.unique(np.linspace(0, len(ids) - 1, max_bootstraps).round().astype(int))]


def stability(
    cells: list[Cell], runs: dict[tuple[str, str, int], list[Refit]], n_init: int
) -> dict[str, Any]:
    """The stability figures of one ``n_init`` from its refits, ``runs[scenario, variant, n_init]``."""
    cell_sds = []
    # start -> scenario -> variant -> mean over bootstraps
    per_start: list[dict[str, dict[str, float]]] = []
    for cell in cells:
        refits = runs[cell.scenario, cell.variant, n_init]
        table = pd.concat([r.precision for r in refits], axis=1, ignore_index=True)  # bootstraps x starts
        cell_sds.extend(table.std(axis=1, ddof=1).tolist())
        per_start.extend({} for _ in range(len(refits) - len(per_start)))
        for start in range(len(refits)):
            means = per_start[start].setdefault(cell.scenario, {})
            means[cell.variant] = float(table[start].mean())
    scenarios = list(dict.fromkeys(cell.scenario for cell in cells))
    best_by_start = {s: [max(start[s].values()) for start in per_start] for s in scenarios}
    best_sd = {s: float(np.std(values, ddof=1)) for s, values in best_by_start.items()}
    all_refits = [r for cell in cells for r in runs[cell.scenario, cell.variant, n_init]]
    return {
        "cell_sd": float(np.mean(cell_sds)),
        "best_sd": float(np.mean(list(best_sd.values()))),
        "best_sd_by_scenario": {s: round(v, 4) for s, v in best_sd.items()},
        "best_mean_by_scenario": {s: round(float(np.mean(v)), 4) for s, v in best_by_start.items()},
        "slicing_s": float(sum(r.slicing_s for r in all_refits)),
        "unconverged": sum(r.n_unconverged for r in all_refits) / sum(r.n_fits for r in all_refits),
    }


def scenario_table(
    cells: list[Cell], runs: dict[tuple[str, str, int], list[Refit]], n_init: int, scenario: str
) -> dict[str, Any]:
    """Per variant of ``scenario``: the mean over bootstraps for each start, their mean and spread."""
    variants: dict[str, dict[str, Any]] = {}
    for cell in cells:
        if cell.scenario != scenario:
            continue
        means = [float(r.precision.mean()) for r in runs[cell.scenario, cell.variant, n_init]]
        variants[cell.variant] = {
            "mean": round(float(np.mean(means)), 3),
            "spread": round(float(np.max(means) - np.min(means)), 3),
            "per_seed": [round(m, 3) for m in means],
        }
    best = max(variants, key=lambda v: variants[v]["mean"])
    return {"best_variant": best, "best_mean": variants[best]["mean"], "variants": variants}


def print_scenario(reg_covar: float, n_init: int, scenario: str, row: dict[str, Any]) -> None:
    """One scenario's variants under one ``n_init``: mean, spread and per-start means."""
    print(
        f"\nreg_covar {reg_covar:g} | n_init {n_init} | {scenario}: "
        f"ideal error slice {row['ideal_error_slice']:.2f}"
    )
    print(f"  {'variant':24s} {'mean':>5s} {'spread':>6s}  per slicer seed")
    for variant, values in row["variants"].items():
        marker = " <- best" if variant == row["best_variant"] else ""
        print(f"  {variant:24s} {values['mean']:5.2f} {values['spread']:6.2f}  {values['per_seed']}{marker}")


def print_stability(reg_covar: float, n_starts: int, by_n_init: dict[str, dict[str, Any]]) -> None:
    """The stability figures of every ``n_init``, one row each."""
    print(f"\nreg_covar {reg_covar:g}: stability over {n_starts} starts")
    print(
        f"  {'n_init':>6s} {'cell_sd':>7s} {'best_sd':>7s} {'slicing_s':>9s} {'cost':>5s} {'unconv':>6s}",
        end="",
    )
    print("  best_sd by scenario")
    for n_init, figures in by_n_init.items():
        print(
            f"  {n_init:>6s} {figures['cell_sd']:7.4f} {figures['best_sd']:7.4f} "
            f"{figures['slicing_s']:9.1f} {figures['cost_ratio']:5.2f} {figures['unconverged']:6.3f}  "
            f"{figures['best_sd_by_scenario']}"
        )


def main() -> None:
    parser = audit_arguments(__doc__.split("\n")[0], n_starts=3)
    parser.add_argument("--n-init", type=int, nargs="+", default=[1, 5, 10], help="Domino n_init values")
    parser.add_argument("--reg-covar", type=float, nargs="+", default=[1e-6])
    parser.add_argument("--variants", nargs="+", default=None)
    parser.add_argument(
        "--max-bootstraps", type=int, default=None, help="N accepted bootstraps per scenario, evenly spaced"
    )
    parser.add_argument(
        "--data", type=Path, default=None, help="an audit's data folder, read without the Kedro catalog"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="start 0's seed (default: the project seed, as the audit)"
    )
    args = parser.parse_args()
    if args.n_starts < 2:
        raise SystemExit("--n-starts must be >= 2: a standard deviation over starts needs two")

    params, predictions, fused = load_audit(args.scenarios, args.env, args.data, args.variants)
    slicer = params["slice_discovery"]["slicer"]
    first_seed = int(params["seed"]) if args.seed is None else args.seed
    seeds = [first_seed + 10 * start for start in range(args.n_starts)]
    bootstraps = {s: chosen_bootstraps(preds, args.max_bootstraps) for s, preds in predictions.items()}
    for scenario in [s for s, ids in bootstraps.items() if not ids]:
        print(f"{scenario}: no accepted bootstrap, left out")
        del bootstraps[scenario], predictions[scenario]
    fused = {key: table for key, table in fused.items() if key[0] in predictions}
    if not predictions:
        raise SystemExit("no scenario has an accepted bootstrap")
    cells = [
        Cell.of(scenario, variant, table, predictions[scenario], bootstraps[scenario])
        for (scenario, variant), table in fused.items()
    ]
    ideal = {}
    for scenario, preds in predictions.items():
        chosen = preds[preds["bootstrap"].isin(bootstraps[scenario])]
        ideal[scenario] = float(ideal_error_slice_metrics(chosen, scenario=scenario)["value"].mean())
    n_bootstraps = sum(len(b) for b in bootstraps.values())
    print(f"{len(cells)} cells, {n_bootstraps} bootstraps over {len(bootstraps)} scenarios, starts {seeds}")

    # Untimed: the first fit pays one-off costs (imports, thread pools) that would land on one arm only.
    refit(cells[0], {**slicer, "n_init": 1}, seeds[0])
    results: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    for reg_covar in args.reg_covar:
        runs: dict[tuple[str, str, int], list[Refit]] = {}
        # Cell by cell, every n_init in turn: a shared machine's load drifts alike over all of them.
        for cell in cells:
            for n_init in args.n_init:
                config = {**slicer, "reg_covar": reg_covar, "n_init": n_init}
                runs[cell.scenario, cell.variant, n_init] = [refit(cell, config, seed) for seed in seeds]
        by_n_init: dict[str, dict[str, Any]] = {}
        for n_init in args.n_init:
            figures = stability(cells, runs, n_init)
            figures["scenarios"] = {}
            for scenario in predictions:
                row = {
                    **scenario_table(cells, runs, n_init, scenario),
                    "ideal_error_slice": round(ideal[scenario], 3),
                }
                figures["scenarios"][scenario] = row
                print_scenario(reg_covar, n_init, scenario, row)
            by_n_init[str(n_init)] = figures
        reference_s = by_n_init[str(args.n_init[0])]["slicing_s"]
        for figures in by_n_init.values():
            figures["cost_ratio"] = figures["slicing_s"] / reference_s
            for key in ("cell_sd", "best_sd", "slicing_s", "cost_ratio", "unconverged"):
                figures[key] = round(figures[key], 4)
        print_stability(reg_covar, len(seeds), by_n_init)
        results[f"{reg_covar:g}"] = by_n_init
    wall_s = time.perf_counter() - started
    print(f"\nwall time {wall_s:.1f} s")
    summary = {
        "seeds": seeds,
        "n_init": args.n_init,
        "bootstraps": bootstraps,
        "reg_covar": results,
        "wall_s": round(wall_s, 1),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
