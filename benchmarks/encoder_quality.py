"""Benchmark: train the in-domain CLIP (LiT) on synthetic pairs, then measure what it learned.

1. Generates a synthetic MIMIC-CXR-JPG release (``medslice.synth.generate_release``) and writes it
   with ``medslice.mimic.writer.write_release`` to a temporary folder.
2. Holds out patients (validate + test, topped up with train patients) for evaluation and trains
   ``train_lit_clip`` on up to ``--max-train`` (image, report) pairs of the others, timing it.
3. Embeds the held-out images and reports with ``ClipEncoder("local-dir:...")`` and prints
   ``evaluate_encoder``: image->report recall@10 vs chance (10/N), and linear-probe AUROC (5-fold)
   for Support Devices, Cardiomegaly, Pleural Effusion and lateral-vs-frontal.

Targets: training <= 5 min on 2 cores, recall@10 >= 5x chance, every AUROC >= 0.90.
The last line is JSON. Run: ``.venv/bin/python benchmarks/encoder_quality.py``
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from medslice.encoders.clip_encoder import ClipEncoder
from medslice.encoders.lit_training import train_lit_clip
from medslice.encoders.quality import evaluate_encoder
from medslice.mimic.layout import image_relpath
from medslice.mimic.schemas import view_group
from medslice.mimic.sections import parse_report
from medslice.mimic.writer import write_release
from medslice.synth import SyntheticConfig, generate_release

PROBED_LABELS = ("Support Devices", "Cardiomegaly", "Pleural Effusion")


def report_text(full_text: str) -> str:
    """Findings + impression of a report (its conclusion if neither), whitespace collapsed."""
    parsed = parse_report(full_text)
    body = " ".join(p for p in (parsed.get("findings", ""), parsed.get("impression", "")) if p)
    return re.sub(r"\s+", " ", body or parsed.get("main_section", "") or full_text).strip()


def build_pairs(release: object, root: Path) -> pd.DataFrame:
    """One row per image: path, split, report text, probed labels and the lateral flag."""
    frame = release.metadata[["dicom_id", "subject_id", "study_id", "ViewPosition"]].merge(
        release.split[["dicom_id", "split"]], on="dicom_id"
    )
    frame = frame.merge(release.chexpert, on=["subject_id", "study_id"])
    frame = frame.merge(release.reports, on=["subject_id", "study_id"])
    frame["path"] = [
        str(root / image_relpath(s, t, d))
        for s, t, d in zip(frame["subject_id"], frame["study_id"], frame["dicom_id"], strict=True)
    ]
    frame["report"] = frame["text"].map(report_text)
    views = frame["ViewPosition"].fillna("").map(view_group)
    frame["lateral"] = views.map({"lateral": 1.0, "frontal": 0.0})
    for label in PROBED_LABELS:
        frame[label] = (frame[label] == 1.0).astype(float)  # U-Zeros: uncertain/blank -> 0
    return frame


def load_or_write_release(workdir: Path, n_subjects: int, seed: int) -> pd.DataFrame:
    """Write a synthetic release under ``workdir`` (or reuse one) and return its pairs table.

    The pairs are saved beside the images: regenerating the tables later could pair old pixels
    with labels from a newer generator.
    """
    root, pairs_file = workdir / "release", workdir / "pairs.parquet"
    if pairs_file.is_file() and (root / "IMAGE_FILENAMES").is_file():
        return pd.read_parquet(pairs_file)
    # "Lung Opacity": the writer's test-set schema; the encoder never reads that file.
    config = SyntheticConfig(n_subjects=n_subjects, test_set_opacity_name="Lung Opacity")
    release = generate_release(config, seed=seed)
    write_release(
        root,
        metadata=release.metadata,
        chexpert=release.chexpert,
        negbio=release.negbio,
        split=release.split,
        test_set_labeled=release.test_set_labeled,
        images=release.iter_images(n_jobs=os.cpu_count() or 1),
        n_images=len(release.metadata),
    )
    pairs = build_pairs(release, root)
    pairs.to_parquet(pairs_file)
    return pairs


def split_by_patient(
    frame: pd.DataFrame, eval_images: int, max_train: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patient-disjoint (train, eval): eval = validate + test, topped up with train patients."""
    rng = np.random.default_rng(seed)
    held_out = set(frame.loc[frame["split"] != "train", "subject_id"])
    train_subjects = frame.loc[~frame["subject_id"].isin(held_out), "subject_id"].unique()
    images_per_subject = frame.groupby("subject_id").size()
    for subject in rng.permutation(train_subjects):
        if images_per_subject[list(held_out)].sum() >= eval_images:
            break
        held_out.add(subject)
    evaluation = frame[frame["subject_id"].isin(held_out)]
    train = frame[~frame["subject_id"].isin(held_out)]
    if len(train) > max_train:
        train = train.iloc[np.sort(rng.choice(len(train), max_train, replace=False))]
    return train.reset_index(drop=True), evaluation.reset_index(drop=True)


def main() -> None:
    """Generate, train, embed, evaluate; print the figures and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-subjects", type=int, default=2500)
    parser.add_argument("--max-train", type=int, default=6000)
    parser.add_argument("--eval-images", type=int, default=1000)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="feature processes")
    parser.add_argument("--precision", default="fp32", help="locked towers: fp32, bf16 or auto")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the release/model here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        started = time.perf_counter()
        pairs = load_or_write_release(workdir, args.n_subjects, args.seed)
        print(f"release: {len(pairs)} images in {time.perf_counter() - started:.0f} s")

        train, evaluation = split_by_patient(pairs, args.eval_images, args.max_train, args.seed)
        print(f"train pairs {len(train)}, held-out images {len(evaluation)}")
        log = train_lit_clip(
            train["path"].tolist(),
            train["report"].tolist(),
            workdir / "encoder",
            image_size=args.image_size,
            epochs=args.epochs,
            seed=args.seed,
            num_workers=args.workers,
            precision=args.precision,
        )
        print(
            f"training: {log['wall_seconds']:.0f} s (features {log['feature_seconds']:.0f} s), "
            f"{log['n_distinct_texts']} distinct reports, loss {log['loss_per_epoch'][0]:.3f} -> "
            f"{log['loss_per_epoch'][-1]:.3f}, {log['settings']['feature_precision']} features; "
            "target <= 300 s"
        )

        encoder = ClipEncoder(f"local-dir:{workdir / 'encoder'}")
        image_emb, load_report = encoder.encode_images(evaluation["path"].tolist(), num_workers=args.workers)
        text_emb = encoder.encode_texts(evaluation["report"].tolist())
        keep = load_report.loaded_mask
        labels = evaluation.loc[keep, [*PROBED_LABELS, "lateral"]].reset_index(drop=True)
        quality = evaluate_encoder(image_emb[keep], text_emb[keep], labels)

    ratio = quality["recall_at_10"] / quality["chance_recall_at_10"]
    print(
        f"recall@10 {quality['recall_at_10']:.3f} vs chance {quality['chance_recall_at_10']:.4f}"
        f" ({ratio:.1f}x, target >= 5x) on {quality['n']} held-out images"
    )
    for label, auroc in quality["auroc"].items():
        print(f"linear-probe AUROC {label:17s} {auroc:.3f} (target >= 0.90)")
    print(
        json.dumps(
            {
                "recall_at_10": round(quality["recall_at_10"], 4),
                "chance_recall_at_10": round(quality["chance_recall_at_10"], 5),
                "auroc": {k: round(v, 4) if v is not None else None for k, v in quality["auroc"].items()},
                "train_wall_seconds": log["wall_seconds"],
                "n_train": log["n_pairs"],
                "n_eval": quality["n"],
            }
        )
    )


if __name__ == "__main__":
    main()
