"""Benchmark: how much of an audit's precision@10 is the slicer's random start, and how much is unfound.

Reads the latest audit's artifacts through the Kedro catalog (run ``kedro run --pipeline=audit`` first):
each scenario's ``predictions`` and each variant's ``fused_embeddings``. It refits the configured slicer
(``params:slice_discovery.slicer``, Domino with the paper's settings by default) on every accepted
bootstrap with ``--n-starts`` random starts and scores each refit with the paper's weighted
precision@10, exactly as the ``evaluation`` pipeline does. Start ``i`` seeds the slicer with the project
``seed`` + 10 i (+ the bootstrap, as the pipeline does), so start 0 reproduces the audit's own slices.
Printed per scenario:

- per variant, the mean over bootstraps for each start, then the mean and the spread (max - min) of those
  means: with three bootstraps, the spread is how far a variant's headline number moves on the random
  start alone;
- the best variant by mean over starts, against the ideal error slice (``method == "ideal_error_slice"``
  in ``metrics``): the paper precision@10 of the best slice made only of misclassified cases.

``--reg-covar`` refits with other covariance regularisations (Domino's default is 1e-6) to show how far
the Gaussian term of the mixture, not the error terms, decides the slices (decision 19). Nothing is
written; the catalog's versioned artifacts are only read.

The last line is JSON: ``{"seeds": [...], "reg_covar": {value: {scenario: {"best_variant": ...,
"best_mean": ..., "ideal_error_slice": ..., "variants": {variant: {"mean": ..., "spread": ...}}}}}}``.

Run: ``.venv/bin/python benchmarks/slicer_stability.py [--n-starts 5] [--reg-covar 1e-6]
[--scenarios noisy_label ...] [--env tiny]``
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medslice.evaluation.audit import evaluate_slices, ideal_error_slice_metrics
from medslice.slicing.per_bootstrap import discover_per_bootstrap

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NO_EXPLANATIONS = pd.DataFrame(columns=["bootstrap", "slice", "kind", "source", "rank", "term"])


def load_audit(
    scenarios: list[str] | None, env: str | None = None
) -> tuple[dict[str, Any], dict[str, pd.DataFrame], dict]:
    """The project parameters, predictions per scenario and fused embeddings per scenario x variant."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(PROJECT_ROOT)
    with KedroSession.create(project_path=PROJECT_ROOT, env=env) as session:
        context = session.load_context()
        catalog, params = context.catalog, context.params
        declared = params["failure_injection"]["scenarios"]
        # The audit builds no namespace for a scenario marked `enabled: false` (conf/tiny disables two).
        chosen = scenarios or [name for name, spec in declared.items() if (spec or {}).get("enabled", True)]
        variants = list(params["slice_discovery"]["variants"])
        predictions = {s: catalog.load(f"{s}.predictions") for s in chosen}
        fused = {(s, v): catalog.load(f"{s}.{v}.fused_embeddings") for s in chosen for v in variants}
    for name in ("", "kedro", "medslice"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return params, predictions, fused


def paper_precision(fused: Any, predictions: pd.DataFrame, slicer: dict[str, Any], seed: int) -> float:
    """Mean paper precision@10 over the accepted bootstraps of one refit (the audit's own evaluation)."""
    accepted = predictions[predictions["accepted"].fillna(False).astype(bool)]
    kept = fused.filter(np.isin(fused.column("bootstrap").to_numpy(), accepted["bootstrap"].unique()))
    slices, _ = discover_per_bootstrap(kept, accepted, slicer, seed=seed)
    metrics = evaluate_slices(slices, accepted, NO_EXPLANATIONS, scenario="", variant="")
    return float(metrics.loc[metrics["metric"] == "paper_precision_at_10", "value"].mean())


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


def main() -> None:
    parser = audit_arguments(__doc__.split("\n")[0], n_starts=5)
    parser.add_argument("--reg-covar", type=float, nargs="+", default=[1e-6])
    args = parser.parse_args()

    params, predictions, fused = load_audit(args.scenarios, args.env)
    slicer = params["slice_discovery"]["slicer"]
    seeds = [int(params["seed"]) + 10 * start for start in range(args.n_starts)]
    results: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    for reg_covar in args.reg_covar:
        config = {**slicer, "reg_covar": reg_covar}
        by_scenario: dict[str, Any] = {}
        for scenario, preds in predictions.items():
            ideal = ideal_error_slice_metrics(preds, scenario=scenario)["value"].mean()
            variants: dict[str, dict[str, float]] = {}
            for (name, variant), table in fused.items():
                if name != scenario:
                    continue
                means = [paper_precision(table, preds, config, seed) for seed in seeds]
                variants[variant] = {
                    "mean": round(float(np.mean(means)), 3),
                    "spread": round(float(np.max(means) - np.min(means)), 3),
                    "per_seed": [round(m, 3) for m in means],
                }
            best = max(variants, key=lambda v: variants[v]["mean"])
            by_scenario[scenario] = {
                "best_variant": best,
                "best_mean": variants[best]["mean"],
                "ideal_error_slice": round(float(ideal), 3),
                "variants": variants,
            }
            print(f"\nreg_covar {reg_covar:g} | {scenario}: ideal error slice {ideal:.2f}")
            print(f"  {'variant':24s} {'mean':>5s} {'spread':>6s}  per slicer seed")
            for variant, row in variants.items():
                marker = " <- best" if variant == best else ""
                print(f"  {variant:24s} {row['mean']:5.2f} {row['spread']:6.2f}  {row['per_seed']}{marker}")
        results[f"{reg_covar:g}"] = by_scenario
    print(f"\nwall time {time.perf_counter() - start:.1f} s")
    print(json.dumps({"seeds": seeds, "reg_covar": results}))


if __name__ == "__main__":
    main()
