"""Generate a whole synthetic release: MIMIC-format tables in memory plus a picklable image renderer."""

from __future__ import annotations

import collections
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from medslice.errors import BadTypeError, BadValueError, UnknownNameError
from medslice.synth.cohort import sample_images, sample_studies, sample_subjects
from medslice.synth.config import DEVICES, FINDINGS, SyntheticConfig
from medslice.synth.demographics import make_admissions, make_patients
from medslice.synth.labels import chexpert_table, negbio_table, true_label_table
from medslice.synth.metadata import metadata_table
from medslice.synth.render.demographic_cues import sample_cue_traits
from medslice.synth.render.image import render_image
from medslice.synth.render.spec import SPEC_COLUMNS, ImageSpec
from medslice.synth.report_plan import plan_reports
from medslice.synth.reports import write_report
from medslice.synth.split import assign_subject_splits, split_table

# Independent random streams, so that changing one part (e.g. the report wording) leaves the others alone.
_STREAM_SUBJECTS, _STREAM_STUDIES, _STREAM_IMAGES, _STREAM_PLAN = 1, 2, 3, 4
_STREAM_REPORTS, _STREAM_METADATA, _STREAM_DEMOGRAPHICS, _STREAM_SPLIT, _STREAM_NEGBIO = 5, 6, 7, 8, 9
_STREAM_AGE_CUES = 10
RENDER_CHUNK = 8

GROUND_TRUTH_ID_COLUMNS: tuple[str, ...] = ("dicom_id", "subject_id", "study_id", "split")
GROUND_TRUTH_EXTRA_COLUMNS: tuple[str, ...] = (
    "procedure",
    "view_position_recorded",
    *FINDINGS,
    "support_devices",
    "no_finding",
    "apparent_cardiothoracic_ratio",
    "report_quirk",
    "report_label_section",
    "hedged",
    "label_noise",
)


@dataclass(frozen=True)
class SyntheticRelease:
    """A synthetic MIMIC-CXR-JPG release: the tables in their exact formats and a renderer of the pixels.

    Attributes
    ----------
    metadata : pd.DataFrame
        ``mimic-cxr-2.0.0-metadata``, one row per image.
    chexpert : pd.DataFrame
        ``mimic-cxr-2.0.0-chexpert``, one row per study (1.0 / 0.0 / -1.0 / NaN = blank).
    negbio : pd.DataFrame
        ``mimic-cxr-2.0.0-negbio``; differs from ``chexpert`` in a small share of cells.
    split : pd.DataFrame
        ``mimic-cxr-2.0.0-split``, patient-disjoint train / validate / test.
    test_set_labeled : pd.DataFrame
        ``mimic-cxr-2.1.0-test-set-labeled``: true labels of the test studies.
    reports : pd.DataFrame
        ``subject_id, study_id, text``; ``text`` is the exact content of ``sSTUDY.txt``.
    patients : pd.DataFrame
        MIMIC-IV ``patients``.
    admissions : pd.DataFrame
        MIMIC-IV ``admissions`` (some subjects have none).
    ground_truth : pd.DataFrame
        One row per image with every rendered attribute (hidden from the audit).
    seed : int
        The seed the release was generated with; rendering depends on it.
    """

    metadata: pd.DataFrame
    chexpert: pd.DataFrame
    negbio: pd.DataFrame
    split: pd.DataFrame
    test_set_labeled: pd.DataFrame
    reports: pd.DataFrame
    patients: pd.DataFrame
    admissions: pd.DataFrame
    ground_truth: pd.DataFrame
    seed: int = 0

    @cached_property
    def _row_of(self) -> dict[str, int]:
        return {dicom_id: k for k, dicom_id in enumerate(self.ground_truth["dicom_id"])}

    def image_spec(self, dicom_id: str) -> ImageSpec:
        """The render attributes of one image."""
        row = self._row_of.get(dicom_id)
        if row is None:
            raise UnknownNameError(f"dicom_id {dicom_id!r} is not in this release")
        return ImageSpec.from_mapping(self.ground_truth.iloc[row])

    def render(self, dicom_id: str) -> np.ndarray:
        """The pixels of one image: uint8 ``(Rows, Columns)``, identical on every call."""
        return render_image(self.image_spec(dicom_id), self.seed)

    def iter_images(self, n_jobs: int = 1, *, progress: bool = False) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(dicom_id, pixels)`` in metadata row order.

        Parameters
        ----------
        n_jobs : int, default=1
            Rendering processes; ``n_jobs > 1`` renders in a process pool with at most a few chunks
            in flight (nothing holds all pixels) and yields exactly what ``n_jobs=1`` yields.
        progress : bool, default=False
            Show a progress bar (off by default: the writer consuming the images shows its own).
        """
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
            raise BadValueError(f"n_jobs must be an int >= 1, got {n_jobs!r}")
        order = self.metadata["dicom_id"].map(self._row_of).to_numpy()
        specs = self.ground_truth.iloc[order][list(SPEC_COLUMNS)].to_dict("records")
        dicom_ids = self.metadata["dicom_id"].tolist()
        bar = tqdm(total=len(specs), desc="render", unit="img", disable=not progress)
        try:
            if n_jobs == 1:
                for dicom_id, spec in zip(dicom_ids, specs, strict=True):
                    yield dicom_id, render_image(spec, self.seed)
                    bar.update()
                return
            chunks = [
                (dicom_ids[k : k + RENDER_CHUNK], specs[k : k + RENDER_CHUNK])
                for k in range(0, len(specs), RENDER_CHUNK)
            ]
            with ProcessPoolExecutor(max_workers=n_jobs) as pool:
                pending: collections.deque[tuple[list[str], Future[list[np.ndarray]]]] = collections.deque()
                upcoming = iter(chunks)
                for ids_chunk, spec_chunk in upcoming:
                    pending.append((ids_chunk, pool.submit(_render_chunk, spec_chunk, self.seed)))
                    if len(pending) >= 2 * n_jobs:
                        break
                while pending:
                    ids_chunk, future = pending.popleft()
                    following = next(upcoming, None)
                    if following is not None:
                        pending.append((following[0], pool.submit(_render_chunk, following[1], self.seed)))
                    for dicom_id, pixels in zip(ids_chunk, future.result(), strict=True):
                        yield dicom_id, pixels
                        bar.update()
        finally:
            bar.close()


def _render_chunk(specs: list[dict[str, Any]], seed: int) -> list[np.ndarray]:
    """Render a chunk of images in a worker process."""
    return [render_image(spec, seed) for spec in specs]


def generate_release(
    config: SyntheticConfig | Mapping[str, Any] | None = None, seed: int = 0
) -> SyntheticRelease:
    """Generate a synthetic release; the same ``config`` and ``seed`` give identical tables and pixels.

    Parameters
    ----------
    config : SyntheticConfig or Mapping[str, Any] or None, default=None
        A :class:`SyntheticConfig`, a mapping of its fields (e.g. Kedro parameters) or None for the
        defaults (about 5,000 studies and 8,000 images of 512 x 426).
    seed : int, default=0
        The one source of randomness.
    """
    if config is None:
        config = SyntheticConfig()
    elif isinstance(config, Mapping):
        config = SyntheticConfig.from_dict(config)
    elif not isinstance(config, SyntheticConfig):
        raise BadTypeError(
            f"config must be a SyntheticConfig, a mapping or None, got {type(config).__name__}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise BadValueError(f"seed must be a non-negative int, got {seed!r}")
    seed = int(seed)

    def stream(k: int) -> np.random.Generator:
        return np.random.default_rng([seed, k])

    subjects = sample_subjects(stream(_STREAM_SUBJECTS), config)
    studies = sample_studies(stream(_STREAM_STUDIES), subjects, config)
    studies["first_study"] = ~studies["subject_index"].duplicated()
    studies = pd.concat([studies, plan_reports(stream(_STREAM_PLAN), studies, config)], axis=1)
    studies = _write_reports(studies, seed)

    images = sample_images(
        stream(_STREAM_IMAGES), studies.drop(columns=["report_text", "report_labels"]), config
    )
    # Age-related anatomy (osteophytes, an unfolded or calcified aorta) on a stream of its own, so that
    # the MIMIC tables, and every other column of the ground truth, are the same with or without it.
    traits = sample_cue_traits(
        stream(_STREAM_AGE_CUES), images["subject_index"].to_numpy(), images["age"].to_numpy(), len(subjects)
    )
    images[list(traits.columns)] = traits.to_numpy()
    subject_split = assign_subject_splits(
        stream(_STREAM_SPLIT), subjects["subject_id"].to_numpy(), config.split_fractions
    )
    split = split_table(images, subject_split)
    images["split"] = split["split"].to_numpy()

    last_study = studies.groupby("subject_index")["study_date"].max().to_numpy().astype("datetime64[D]")
    first_study = studies.groupby("subject_index")["study_date"].min().to_numpy().astype("datetime64[D]")
    demographics = stream(_STREAM_DEMOGRAPHICS)
    patients = make_patients(demographics, subjects, last_study)
    admissions = make_admissions(demographics, subjects, first_study, config.no_admission_share)

    chexpert = chexpert_table(studies, studies["report_labels"].tolist())
    test_studies = studies[studies["subject_id"].map(subject_split) == "test"]
    return SyntheticRelease(
        metadata=metadata_table(stream(_STREAM_METADATA), images),
        chexpert=chexpert,
        negbio=negbio_table(stream(_STREAM_NEGBIO), chexpert, config.negbio_disagreement),
        split=split,
        test_set_labeled=true_label_table(test_studies, config.test_set_opacity_name),
        reports=studies[["subject_id", "study_id", "report_text"]]
        .rename(columns={"report_text": "text"})
        .reset_index(drop=True),
        patients=patients,
        admissions=admissions,
        ground_truth=_ground_truth(images),
        seed=seed,
    )


def _write_reports(studies: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Write every study's report with its own generator (so reports do not depend on each other)."""
    texts, labels, sections = [], [], []
    records = studies.to_dict("records")
    for record in tqdm(records, desc="reports", unit="study", disable=len(records) < 20000, leave=False):
        noise = record["label_noise"]
        kind, _, finding = noise.partition(":")
        report = write_report(
            np.random.default_rng([seed, _STREAM_REPORTS, int(record["study_index"])]),
            record,
            quirk=record["report_quirk"],
            hedged=frozenset(filter(None, record["hedged"].split(","))),
            omitted=finding if kind == "omitted" else "",
            spurious=finding if kind == "spurious" else "",
        )
        texts.append(report.text)
        labels.append(report.labels)
        sections.append(report.label_section)
    out = studies.copy()
    out["report_text"] = texts
    out["report_labels"] = labels
    out["report_label_section"] = sections
    return out


def _ground_truth(images: pd.DataFrame) -> pd.DataFrame:
    """One row per image: ids, every render attribute, the true findings and how the report was written."""
    gt = images.copy()
    gt["no_finding"] = ~gt[list(FINDINGS)].any(axis=1)
    ap = gt["view_position"].str.startswith("AP") & (gt["view"] == "frontal")
    gt["apparent_cardiothoracic_ratio"] = np.round(gt["cardiothoracic_ratio"] * np.where(ap, 1.09, 1.0), 3)
    columns = list(
        dict.fromkeys([*GROUND_TRUTH_ID_COLUMNS, *SPEC_COLUMNS, *GROUND_TRUTH_EXTRA_COLUMNS, *DEVICES])
    )
    gt = gt[columns].reset_index(drop=True)
    for column in gt.columns:
        if gt[column].dtype == object:
            gt[column] = gt[column].astype(str)
    return gt
