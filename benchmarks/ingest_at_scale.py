"""Ingest a MIMIC-CXR-JPG-scale release and report wall time and peak memory.

Builds, in a temporary folder, the full layout at MIMIC scale (377,110 metadata rows, 227,835
studies each with a report, ~65k patients; every image is the same tiny 8x8 JPEG whose size matches
Rows x Columns), then runs the ingestion library exactly as the pipeline does: images (JPEG header
checks in a small pool), reports (section parsing in a pool), labels, patients, cohort, QA and the
conversion to the Arrow schemas.

The build and the ingestion run in separate child processes so that the peak RSS measured is that of
the ingestion alone (its process plus its pool workers).

    .venv/bin/python benchmarks/ingest_at_scale.py              # full scale
    .venv/bin/python benchmarks/ingest_at_scale.py --scale 0.05 # quick run

The last line printed is one JSON object: {"images", "studies", "wall_s", "peak_rss_gb", ...}.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported lazily: pool workers re-import this file and should start fast
    import numpy as np

MIMIC_IMAGES = 377_110
MIMIC_STUDIES = 227_835
MIMIC_SUBJECTS = 65_379
PLACEHOLDER_SIZE = 8


def _placeholder_jpeg() -> bytes:
    """One 8x8 grayscale JPEG, written to every image path."""
    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    pixels = (np.arange(PLACEHOLDER_SIZE**2).reshape(PLACEHOLDER_SIZE, -1) * 4).astype(np.uint8)
    Image.fromarray(pixels, mode="L").save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


_SENTENCES = (
    "The lungs are clear without focal consolidation.",
    "No pleural effusion or pneumothorax is seen.",
    "The cardiomediastinal silhouette is within normal limits.",
    "Right internal jugular central venous catheter terminates in the mid SVC.",
    "Endotracheal tube terminates 4 cm above the carina.",
    "Mild pulmonary vascular congestion is similar to the prior study.",
    "Moderate cardiomegaly is unchanged.",
    "Small left pleural effusion with adjacent atelectasis.",
    "Nasogastric tube courses below the diaphragm and out of view.",
    "Bibasilar opacities may reflect atelectasis, though infection is not excluded.",
)
_IMPRESSIONS = (
    "No acute cardiopulmonary process.",
    "Lines and tubes in standard position.  No pneumothorax.",
    "Mild pulmonary edema.",
    "Left lower lobe pneumonia.",
    "Stable cardiomegaly without acute process.",
)


def _wrap(text: str, width: int = 78) -> list[str]:
    """Wrap like the MIMIC reports: lines of at most 79 characters including the leading space."""
    lines, current = [], ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    lines.append(current)
    return lines


def _report(rng: np.random.Generator, style: int) -> str:
    """A report in the MIMIC-CXR text format; ``style`` varies the sections present."""
    pick = rng.integers
    findings = "  ".join(_SENTENCES[i] for i in pick(0, len(_SENTENCES), size=4))
    impression = _IMPRESSIONS[int(pick(0, len(_IMPRESSIONS)))]
    body = [
        "EXAMINATION:  CHEST (PA AND LAT)",
        "",
        "INDICATION:  ___F with shortness of breath  // eval for pneumonia",
        "",
        "TECHNIQUE:  Chest PA and lateral",
        "",
        "COMPARISON:  ___",
        "",
    ]
    if style == 0:  # the common shape: findings then impression
        body += ["FINDINGS:", "", *_wrap(findings), "", "IMPRESSION:", "", *_wrap(impression)]
    elif style == 1:  # impression only
        body += ["IMPRESSION:", "", *_wrap(findings + "  " + impression)]
    else:  # neither: the conclusion is the last paragraph
        body += ["FINAL READ:", "", *_wrap(findings), "", *_wrap(impression)]
    return " " * 33 + "FINAL REPORT\n" + "\n".join(f" {line}" for line in body) + "\n"


def build(root: Path, scale: float, seed: int) -> None:
    """Write the MIMIC-scale layout into ``root`` (tables directly with pandas, not via synth)."""
    import numpy as np
    import pandas as pd

    from medslice.mimic import schemas

    rng = np.random.default_rng(seed)
    n_images = round(MIMIC_IMAGES * scale)
    n_studies = round(MIMIC_STUDIES * scale)
    n_subjects = round(MIMIC_SUBJECTS * scale)

    subjects = 10_000_000 + rng.choice(10_000_000, size=n_subjects, replace=False)
    studies = 50_000_000 + rng.choice(10_000_000, size=n_studies, replace=False)
    # Every subject has a study and every study an image; the rest are spread at random.
    study_subject = np.concatenate([subjects, rng.choice(subjects, n_studies - n_subjects)])
    image_study_index = np.concatenate(
        [np.arange(n_studies), rng.integers(0, n_studies, n_images - n_studies)]
    )
    image_study_index.sort()
    words = rng.integers(0, 2**32, size=(n_images, 5), dtype=np.uint64)
    dicom_ids = ["-".join(f"{int(w):08x}" for w in row) for row in words]

    views = np.array(["AP", "PA", "LATERAL", "LL", "", "LAO", "SWIMMERS"])
    view_p = np.array([147, 96, 83, 35, 15.7, 0.2, 0.1])
    view = views[rng.choice(len(views), n_images, p=view_p / view_p.sum())]
    procedures = np.array(
        ["CHEST (PA AND LAT)", "CHEST (PORTABLE AP)", "CHEST PORT. LINE PLACEMENT", "RIB BILAT"]
    )
    metadata = pd.DataFrame(
        {
            "dicom_id": dicom_ids,
            "subject_id": study_subject[image_study_index],
            "study_id": studies[image_study_index],
            "PerformedProcedureStepDescription": procedures[rng.integers(0, 4, n_images)],
            "ViewPosition": view,
            "Rows": PLACEHOLDER_SIZE,
            "Columns": PLACEHOLDER_SIZE,
            "StudyDate": 21000101 + rng.integers(0, 99, n_images) * 10000 + 101,
            "StudyTime": np.round(rng.uniform(0, 235959, n_images), 3),
            "ProcedureCodeSequence_CodeMeaning": "CHEST (PA AND LAT)",
            "ViewCodeSequence_CodeMeaning": np.where(view == "PA", "postero-anterior", ""),
            "PatientOrientationCodeSequence_CodeMeaning": np.where(view == "AP", "Recumbent", "Erect"),
        }
    )
    metadata = metadata.replace({"ViewPosition": {"": None}, "ViewCodeSequence_CodeMeaning": {"": None}})
    root.mkdir(parents=True)
    metadata.to_csv(
        root / schemas.METADATA_FILE, index=False, compression={"method": "gzip", "compresslevel": 1}
    )

    subject_split = dict(
        zip(
            subjects,
            rng.choice(["train", "validate", "test"], n_subjects, p=[0.978, 0.008, 0.014]),
            strict=True,
        )
    )
    split = metadata[["dicom_id", "study_id", "subject_id"]].assign(
        split=metadata["subject_id"].map(subject_split)
    )
    split.to_csv(root / schemas.SPLIT_FILE, index=False, compression={"method": "gzip", "compresslevel": 1})
    for name in (schemas.CHEXPERT_FILE, schemas.NEGBIO_FILE):
        values = rng.choice([1.0, 0.0, -1.0, np.nan], size=(n_studies, 14), p=[0.1, 0.1, 0.05, 0.75])
        labels = pd.DataFrame(values, columns=list(schemas.LABEL_NAMES))
        labels.insert(0, "study_id", studies)
        labels.insert(0, "subject_id", study_subject)
        labels.to_csv(root / name, index=False, compression={"method": "gzip", "compresslevel": 1})

    patients = pd.DataFrame(
        {
            "subject_id": subjects,
            "gender": rng.choice(["F", "M"], n_subjects),
            "anchor_age": rng.integers(18, 92, n_subjects),
            "anchor_year": rng.integers(2110, 2190, n_subjects),
            "anchor_year_group": "2014 - 2016",
            "dod": None,
        }
    )
    patients.to_csv(root / "patients.csv.gz", index=False, compression="gzip")
    admitted = rng.choice(subjects, size=3 * n_subjects)
    admitted = admitted[np.isin(admitted, subjects[: int(0.8 * n_subjects)])]
    admissions = pd.DataFrame(
        {
            "subject_id": admitted,
            "hadm_id": 20_000_000 + np.arange(len(admitted)),
            "admittime": pd.to_datetime(2_000_000_000 + rng.integers(0, 10**9, len(admitted)), unit="s"),
            "insurance": rng.choice(["Medicare", "Medicaid", "Other"], len(admitted)),
            "language": "ENGLISH",
            "marital_status": rng.choice(["MARRIED", "SINGLE", "WIDOWED"], len(admitted)),
            "race": rng.choice(
                ["WHITE", "BLACK/AFRICAN AMERICAN", "HISPANIC/LATINO - DOMINICAN", "ASIAN"], len(admitted)
            ),
        }
    )
    admissions.to_csv(root / "admissions.csv.gz", index=False, compression="gzip")

    jpeg = _placeholder_jpeg()
    styles = rng.choice(3, n_studies, p=[0.8, 0.15, 0.05])
    study_of_image = metadata["study_id"].to_numpy()
    subject_of_study = dict(zip(studies, study_subject, strict=True))
    for index, (study, subject) in enumerate(zip(studies, study_subject, strict=True)):
        folder = root / "files" / f"p{str(subject)[:2]}" / f"p{subject}"
        (folder / f"s{study}").mkdir(parents=True, exist_ok=True)
        (folder / f"s{study}.txt").write_text(_report(rng, int(styles[index])))
    for dicom_id, study in zip(metadata["dicom_id"], study_of_image, strict=True):
        subject = subject_of_study[study]
        path = root / "files" / f"p{str(subject)[:2]}" / f"p{subject}" / f"s{study}" / f"{dicom_id}.jpg"
        path.write_bytes(jpeg)


class RssSampler:
    """Samples the RSS of this process plus its live children (the pool workers) from /proc.

    ``getrusage`` over-reports spawned workers: a child's ru_maxrss includes the parent's pages it
    briefly shared between fork and exec. The sampled sum is the true concurrent footprint.
    """

    def __init__(self, period_s: float = 0.2) -> None:
        import threading

        self.peak_kb = 0
        self._period_s = period_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_kb(pid: str) -> int:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    @staticmethod
    def _children() -> list[str]:
        """PIDs whose parent is this process (/proc/<pid>/stat, field 4 after the command name)."""
        me, pids = os.getpid(), []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                pids.append(entry.name)
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            total = self._rss_kb("self") + sum(self._rss_kb(pid) for pid in self._children())
            self.peak_kb = max(self.peak_kb, total)
            self._stop.wait(self._period_s)

    def __enter__(self) -> RssSampler:
        if Path("/proc/self/status").exists():
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def ingest(root: Path, n_workers: int) -> dict:
    """Run the ingestion on ``root`` and return its figures (this process and its workers)."""
    import pandas as pd

    from medslice.mimic.ingest import (
        build_cohort,
        build_images_table,
        build_labels_table,
        build_patients_table,
        build_reports_table,
        merge_qa,
    )
    from medslice.mimic.reader import MimicCxrJpg, MimicCxrReports
    from medslice.mimic.tables import (
        COHORT_SCHEMA,
        IMAGES_SCHEMA,
        LABELS_SCHEMA,
        PATIENTS_SCHEMA,
        REPORTS_SCHEMA,
        to_arrow,
    )

    stages: dict[str, float] = {}
    sampler = RssSampler().__enter__()
    start = time.perf_counter()

    def lap(name: str, began: float) -> float:
        now = time.perf_counter()
        stages[name] = round(now - began, 2)
        return now

    t = time.perf_counter()
    release = MimicCxrJpg(root)
    images, images_qa = build_images_table(release, n_workers=n_workers)
    t = lap("images", t)
    reports, reports_qa = build_reports_table(MimicCxrReports(root), n_workers=n_workers)
    t = lap("reports", t)
    labels, labels_qa = build_labels_table(release)
    t = lap("labels", t)
    patients, patients_qa = build_patients_table(
        pd.read_csv(root / "patients.csv.gz"), pd.read_csv(root / "admissions.csv.gz")
    )
    t = lap("patients", t)
    params = {"labeler": "chexpert", "uncertainty_policy": "u_zeros", "view_filter": "all"}
    cohort, cohort_qa = build_cohort(images, reports, labels, patients, params)
    t = lap("cohort", t)
    qa = merge_qa(images_qa, reports_qa, labels_qa, patients_qa, cohort_qa)
    for frame, schema in (
        (images, IMAGES_SCHEMA),
        (reports, REPORTS_SCHEMA),
        (labels, LABELS_SCHEMA),
        (patients, PATIENTS_SCHEMA),
        (cohort, COHORT_SCHEMA),
    ):
        to_arrow(frame, schema)
    lap("qa_and_arrow", t)
    wall = time.perf_counter() - start
    sampler.__exit__()

    self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "images": int(qa["accounting"]["metadata_rows"]),
        "studies": int(reports_qa["reports"]["rows"]),
        "cohort_rows": int(len(cohort)),
        "balanced": bool(qa["accounting"]["balanced"]),
        "wall_s": round(wall, 1),
        # The main process and the largest pool worker can peak at the same moment: add them.
        "peak_rss_gb": round((self_kb + children_kb) / 1024**2, 2),
        "main_rss_gb": round(self_kb / 1024**2, 2),
        "worker_rss_gb": round(children_kb / 1024**2, 2),
        "sampled_peak_rss_gb": round(sampler.peak_kb / 1024**2, 2),
        "n_workers": n_workers,
        "stages_s": stages,
    }


def main() -> None:
    """Build in one child process, ingest in another, print the figures and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of MIMIC size (1.0 = full)")
    parser.add_argument("--workers", type=int, default=2, help="pool processes for headers/reports")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, help="keep the built layout here (reused if present)")
    parser.add_argument("--phase", choices=["build", "ingest"], help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.phase == "build":
        build(args.workdir, args.scale, args.seed)
        return
    if args.phase == "ingest":
        print(json.dumps(ingest(args.workdir, args.workers)))
        return

    temporary = args.workdir is None
    root = Path(tempfile.mkdtemp(prefix="medslice-ingest-")) / "mimic" if temporary else args.workdir
    try:
        command = [sys.executable, __file__, "--workdir", str(root), "--scale", str(args.scale)]
        if not root.exists():
            began = time.perf_counter()
            subprocess.run([*command, "--phase", "build", "--seed", str(args.seed)], check=True)
            print(f"built the layout in {time.perf_counter() - began:.1f} s at {root}", flush=True)
        result = subprocess.run(
            [*command, "--phase", "ingest", "--workers", str(args.workers)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        _print_figures(json.loads(result.stdout.strip().splitlines()[-1]), args.scale)
    finally:
        # Deleting ~600k files takes minutes; the figures are printed (and flushed) before.
        if temporary:
            shutil.rmtree(root.parent, ignore_errors=True)


def _print_figures(figures: dict, scale: float) -> None:
    """Human-readable figures, then the one JSON line."""
    print(f"scale {scale}: {figures['images']} metadata rows, {figures['studies']} reports")
    print(f"cohort rows {figures['cohort_rows']}, QA balanced: {figures['balanced']}")
    print(f"stage wall times (s): {figures['stages_s']}")
    print(
        f"ingestion wall {figures['wall_s']} s, peak RSS {figures['peak_rss_gb']} GB "
        f"(main {figures['main_rss_gb']} + largest worker {figures['worker_rss_gb']}), "
        f"{figures['n_workers']} workers on {os.cpu_count()} CPUs"
    )
    print(
        f"sampled concurrent RSS of ingestion + workers: {figures['sampled_peak_rss_gb']} GB "
        "(getrusage counts a spawned worker's pre-exec pages shared with its parent, so the sum above "
        "is an upper bound)"
    )
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
