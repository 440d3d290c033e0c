"""Benchmark: can the classifier under audit see a slice attribute in the pixels?

A demographic rare slice can only fail if the classifier can tell the slice's images apart: if it cannot,
it treats them like everyone else's. This trains the injection benchmark's classifier (``small_cnn`` at
128 px, the scenario defaults: Adam lr 1e-3, batch 32, at most 8 epochs, patience 3) to predict an
attribute itself, on a class-balanced draw of the cohort that ``injection.py`` built (``--data-dir``), and
prints the held-out AUROC per attribute (0.5 = invisible). Patients are split, not images, so a patient's
other studies cannot give the answer away.

The default attributes are the elderly-women scenario's (``gender == 'F' and anchor_age >= 80``) and its
two halves; ``--attributes`` takes other pandas expressions over the cohort.

Run: ``.venv/bin/python benchmarks/attribute_visibility.py --data-dir /tmp/medslice_injection_bench``
(after ``injection.py`` has built the cohort there).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import roc_auc_score

from medslice.classifiers.inference import predict_proba
from medslice.classifiers.registry import build_classifier
from medslice.classifiers.training import train_classifier
from medslice.encoders.image_loading import load_images

DEFAULT_ATTRIBUTES = ("gender == 'F' and anchor_age >= 80", "gender == 'F'", "anchor_age >= 80")
IMAGE_SIZE = 128
TRAINING = {"lr": 0.001, "batch_size": 32, "max_epochs": 8, "patience": 3}


def balanced_split(
    cohort: pd.DataFrame, attribute: pd.Series, n_per_class: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``n_per_class`` images with and without the attribute; a quarter of the patients held out."""
    subjects = cohort["subject_id"].unique()
    held_out = set(rng.choice(subjects, size=len(subjects) // 4, replace=False).tolist())
    frame = cohort.assign(label=attribute.astype(int).to_numpy())
    test_rows = frame["subject_id"].isin(held_out).to_numpy()
    parts = {}
    for name, rows, n in (("train", ~test_rows, n_per_class), ("test", test_rows, n_per_class // 3)):
        chosen = []
        for label in (0, 1):
            candidates = np.flatnonzero(rows & (frame["label"].to_numpy() == label))
            chosen.append(rng.choice(candidates, size=min(n, len(candidates)), replace=False))
        parts[name] = frame.iloc[np.sort(np.concatenate(chosen))]
    return parts["train"], parts["test"]


def probe(
    data_dir: Path, cohort: pd.DataFrame, expression: str, n_per_class: int, seed: int
) -> dict[str, float]:
    """Train a classifier to predict ``expression`` and return its held-out AUROC."""
    rng = np.random.default_rng(seed)
    train, test = balanced_split(cohort, cohort.eval(expression), n_per_class, rng)
    root = data_dir / "release"
    train_images, _ = load_images([root / p for p in train["image_path"]], IMAGE_SIZE)
    test_images, _ = load_images([root / p for p in test["image_path"]], IMAGE_SIZE)
    # A tenth of the training images for early stopping, as the scenarios do.
    is_val = rng.random(len(train)) < 0.1
    targets = train["label"].to_numpy()
    model, _ = train_classifier(
        build_classifier("small_cnn", seed=seed),
        train_images[~is_val],
        targets[~is_val],
        train_images[is_val],
        targets[is_val],
        seed=seed,
        show_progress=False,
        **TRAINING,
    )
    scores = predict_proba(model, test_images)
    return {
        "auroc": round(float(roc_auc_score(test["label"], scores)), 3),
        "n_train": len(train),
        "n_test": len(test),
    }


def main() -> None:
    """Probe each attribute and print one line each, then JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/medslice_injection_bench"))
    parser.add_argument("--attributes", nargs="+", default=list(DEFAULT_ATTRIBUTES))
    parser.add_argument("--n-per-class", type=int, default=400, help="training images per class")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one probe per seed, averaged")
    parser.add_argument("--torch-threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.torch_threads)
    cohort = pd.read_parquet(args.data_dir / "cohort.parquet")
    results: dict[str, dict[str, float]] = {}
    for expression in args.attributes:
        start = time.perf_counter()
        runs = [probe(args.data_dir, cohort, expression, args.n_per_class, seed) for seed in args.seeds]
        aurocs = [run["auroc"] for run in runs]
        results[expression] = {
            "auroc": round(float(np.mean(aurocs)), 3),
            "aurocs": aurocs,
            "n_train": runs[0]["n_train"],
            "n_test": runs[0]["n_test"],
        }
        print(
            f"{expression:40s} held-out AUROC {results[expression]['auroc']:.3f} {aurocs} "
            f"({runs[0]['n_train']} training, {runs[0]['n_test']} test images; "
            f"{time.perf_counter() - start:.0f} s)",
            flush=True,
        )
    print(json.dumps({"data_dir": str(args.data_dir), "seeds": args.seeds, "attributes": results}))


if __name__ == "__main__":
    main()
