"""Save a captioned grid of synthetic radiographs, one per finding or acquisition, to look at the phantoms.

Usage: ``python -m medslice.synth.preview OUTDIR [--seed 0] [--n-subjects 600] [--rows 512]``
writes ``OUTDIR/synthetic_examples.png``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from medslice.synth.config import SyntheticConfig
from medslice.synth.release import SyntheticRelease, generate_release

_Selector = Callable[[pd.DataFrame], pd.Series]
# (caption prefix, rows of the ground truth to pick from), in display order.
SHOWCASE: tuple[tuple[str, _Selector], ...] = (
    ("normal PA", lambda g: (g.view_position == "PA") & g.no_finding & ~g.support_devices),
    ("normal lateral", lambda g: (g.view_position == "LATERAL") & g.no_finding & ~g.support_devices),
    (
        "cardiomegaly PA",
        lambda g: (g.view_position == "PA") & g.cardiomegaly & (g.cardiomegaly_severity != "mild"),
    ),
    (
        "cardiomegaly lateral",
        lambda g: (g.view_position == "LATERAL") & g.cardiomegaly & (g.cardiomegaly_severity != "mild"),
    ),
    ("portable AP, ETT + line", lambda g: (g.view_position == "AP") & g.endotracheal_tube & g.central_line),
    (
        "pneumothorax + chest tube",
        lambda g: (g.view == "frontal") & g.pneumothorax & g.chest_tube & (g.pneumothorax_severity != "mild"),
    ),
    (
        "pneumothorax, no tube",
        lambda g: (
            (g.view == "frontal") & g.pneumothorax & ~g.chest_tube & (g.pneumothorax_severity != "mild")
        ),
    ),
    (
        "effusion, erect",
        lambda g: (g.view_position == "PA") & g.pleural_effusion & (g.pleural_effusion_severity != "mild"),
    ),
    (
        "effusion, supine",
        lambda g: (g.view_position == "AP") & g.pleural_effusion & (g.orientation == "recumbent"),
    ),
    ("edema", lambda g: (g.view == "frontal") & g.edema & (g.edema_severity != "mild")),
    (
        "pneumonia / consolidation",
        lambda g: (g.view == "frontal") & (g.pneumonia | g.consolidation) & (g.pneumonia_severity != "mild"),
    ),
    ("lung nodule", lambda g: (g.view == "frontal") & g.lung_lesion & (g.lung_lesion_size_mm >= 15)),
    ("pacemaker", lambda g: (g.view == "frontal") & g.pacemaker),
    ("rib fracture", lambda g: (g.view == "frontal") & g.fracture & (g.fracture_severity == "severe")),
    ("atelectasis", lambda g: (g.view == "frontal") & g.atelectasis & (g.atelectasis_severity != "mild")),
    ("wide mediastinum", lambda g: (g.view == "frontal") & g.enlarged_cardiomediastinum),
)
FINDING_WORDS = {
    "cardiomegaly": "cardiomegaly",
    "pleural_effusion": "effusion",
    "pneumothorax": "PTX",
    "edema": "edema",
    "pneumonia": "pneumonia",
    "consolidation": "consolidation",
    "lung_opacity": "opacity",
    "atelectasis": "atelectasis",
    "lung_lesion": "nodule",
    "fracture": "fracture",
    "pleural_other": "pleural thickening",
    "enlarged_cardiomediastinum": "wide mediastinum",
}
DEVICE_WORDS = {
    "chest_tube": "chest tube",
    "endotracheal_tube": "ETT",
    "central_line": "line",
    "pacemaker": "PM",
}


def caption(row: pd.Series) -> str:
    """A short description of one ground-truth row: view, patient, findings (with side) and devices."""
    findings = []
    for column, word in FINDING_WORDS.items():
        if row[column]:
            side = row.get(f"{column}_side") or ""
            findings.append(f"{word} {side[:1].upper()}".strip() if side else word)
    devices = [word for column, word in DEVICE_WORDS.items() if row[column]]
    head = f"{row['view_position']} {row['orientation'][:3]} {row['sex']}{row['age']}"
    body = ", ".join(findings) or "no finding"
    return f"{head}\n{body}" + (f"\n+ {', '.join(devices)}" if devices else "")


def pick_showcase(
    release: SyntheticRelease, showcase: Sequence[tuple[str, _Selector]] = SHOWCASE
) -> list[str]:
    """One dicom_id per showcase category (the first matching image), skipping empty categories."""
    gt = release.ground_truth
    chosen: list[str] = []
    for _, selector in showcase:
        candidates = gt.loc[selector(gt) & ~gt["dicom_id"].isin(chosen), "dicom_id"]
        if len(candidates):
            chosen.append(str(candidates.iloc[0]))
    return chosen


def save_preview_grid(
    release: SyntheticRelease, dicom_ids: Sequence[str], path: str | Path, columns: int = 4
) -> Path:
    """Render ``dicom_ids`` and save them as a captioned PNG grid at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    gt = release.ground_truth.set_index("dicom_id")
    rows = max(1, -(-len(dicom_ids) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 4.3 * rows), squeeze=False)
    for axis in axes.ravel():
        axis.axis("off")
    for axis, dicom_id in zip(axes.ravel(), dicom_ids, strict=False):
        axis.imshow(release.render(dicom_id), cmap="gray", vmin=0, vmax=255, interpolation="lanczos")
        axis.set_title(caption(gt.loc[dicom_id]), fontsize=8)
    figure.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def main(argv: Sequence[str] | None = None) -> Path:
    """Command-line entry point: generate a small release and save its showcase grid."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-subjects", type=int, default=600)
    parser.add_argument("--rows", type=int, default=512)
    args = parser.parse_args(argv)
    release = generate_release(
        SyntheticConfig(n_subjects=args.n_subjects, image_rows=args.rows), seed=args.seed
    )
    path = save_preview_grid(release, pick_showcase(release), args.outdir / "synthetic_examples.png")
    print(path)
    return path


if __name__ == "__main__":
    main()
