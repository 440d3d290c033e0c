"""Build the images table: one row per usable MIMIC-CXR-JPG image, with its split and study time."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from medslice.errors import BadValueError
from medslice.mimic import schemas
from medslice.mimic.jpeg_header import JPEG_MISSING, JPEG_OK, JPEG_TRUNCATED, JPEG_UNREADABLE, probe_jpegs
from medslice.mimic.parallel import chunked, map_chunks
from medslice.mimic.qa_buckets import id_bucket
from medslice.mimic.reader import MimicCxrJpg
from medslice.mimic.study_time import study_datetimes

IMAGES_COLUMNS: tuple[str, ...] = (
    "dicom_id",
    "subject_id",
    "study_id",
    "image_path",
    "view_position",
    "procedure",
    "view_code_meaning",
    "orientation",
    "rows",
    "columns",
    "study_date",
    "study_time",
    "study_datetime",
    "split",
)
_LOG = logging.getLogger(__name__)

# How many ids an error message quotes before "and N more".
_QUOTE = 10
# How many example paths a warning quotes: enough to find the files, short enough to read.
_EXAMPLES = 3
# What to do about each kind of damaged image file, quoted in its warning. Truncated files come
# from interrupted downloads or copies; the release's SHA256SUMS.txt names every damaged file.
_FILE_ADVICE = {
    "missing_file": "download them again",
    "unreadable_header": "verify them against SHA256SUMS.txt and download them again",
    "truncated_jpeg": (
        "their header is intact but the end-of-image marker (FF D9) is missing, as after an "
        "interrupted download or copy; verify them against SHA256SUMS.txt and download them again"
    ),
}


def _quote(values: Any) -> str:
    """A short listing of offending values for an error message."""
    values = list(values)
    head = ", ".join(str(v) for v in values[:_QUOTE])
    return head + (f" and {len(values) - _QUOTE} more" if len(values) > _QUOTE else "")


def image_relpaths(subject_id: pd.Series, study_id: pd.Series, dicom_id: pd.Series) -> pd.Series:
    """Vectorised :func:`medslice.mimic.layout.image_relpath`: ``files/pXX/pSUBJECT/sSTUDY/ID.jpg``."""
    subject = subject_id.astype(np.int64).astype(str)
    study = study_id.astype(np.int64).astype(str)
    return "files/p" + subject.str[:2] + "/p" + subject + "/s" + study + "/" + dicom_id.astype(str) + ".jpg"


def _check_unique_dicom_ids(metadata: pd.DataFrame) -> None:
    """A dicom_id listed twice makes every join ambiguous: refuse it."""
    duplicated = metadata["dicom_id"].duplicated(keep=False)
    if duplicated.any():
        ids = pd.unique(metadata.loc[duplicated, "dicom_id"])
        raise BadValueError(
            f"{schemas.METADATA_FILE}: {len(ids)} dicom_id(s) appear more than once: {_quote(ids)}"
        )


def _checked_split(split: pd.DataFrame) -> pd.DataFrame:
    """The split table after the checks that make it usable as a per-image lookup."""
    duplicated = split["dicom_id"].duplicated(keep=False)
    if duplicated.any():
        ids = pd.unique(split.loc[duplicated, "dicom_id"])
        raise BadValueError(
            f"{schemas.SPLIT_FILE}: {len(ids)} dicom_id(s) appear more than once: {_quote(ids)}"
        )
    splits_per_subject = split.groupby("subject_id", sort=True)["split"].nunique()
    leaking = splits_per_subject.index[splits_per_subject > 1].tolist()
    if leaking:
        raise BadValueError(
            f"{schemas.SPLIT_FILE}: the split must be patient-disjoint, but {len(leaking)} "
            f"subject(s) appear in more than one split: {_quote(leaking)}"
        )
    return split


def _join_split(images: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """Attach each image's split; a split row that disagrees with the metadata ids is an error."""
    lookup = split.set_index("dicom_id")
    found = images["dicom_id"].isin(lookup.index)
    matched = lookup.reindex(images["dicom_id"])
    disagree = found.to_numpy() & (
        (matched["subject_id"].to_numpy() != images["subject_id"].to_numpy())
        | (matched["study_id"].to_numpy() != images["study_id"].to_numpy())
    )
    if disagree.any():
        raise BadValueError(
            f"{schemas.SPLIT_FILE}: subject_id/study_id disagree with {schemas.METADATA_FILE} for "
            f"dicom_id(s) {_quote(images.loc[disagree, 'dicom_id'])}"
        )
    images["split"] = matched["split"].to_numpy()
    return images


def _probe_files(
    release: MimicCxrJpg, image_paths: pd.Series, *, n_workers: int, chunk_size: int
) -> np.ndarray:
    """``(status, rows, columns)`` per image from its JPEG header and tail, as an (n, 3) int array."""
    prefix = str(release.root) + "/"
    absolute = (prefix + image_paths).tolist()
    results = map_chunks(
        probe_jpegs,
        chunked(absolute, chunk_size),
        n_workers=n_workers,
        desc="check image headers and ends",
        unit="img",
    )
    flat = [item for chunk in results for item in chunk]
    return np.asarray(flat, dtype=np.int64).reshape(len(absolute), 3)


def build_images_table(
    release: MimicCxrJpg,
    *,
    check_files: bool = True,
    n_workers: int = 2,
    chunk_size: int = 4096,
) -> tuple[pd.DataFrame, dict]:
    """One row per metadata row whose image is usable, and the QA of what was left out.

    Columns: :data:`IMAGES_COLUMNS`. ``study_datetime`` combines ``StudyDate`` and the zero-padded
    ``StudyTime``; ``split`` comes from the split file (missing when the image has no split row).

    With ``check_files`` every JPEG's *header* and its last 32 bytes are read (never its pixels,
    so this scales to 377k images; ``n_workers`` processes share the work). Images whose file is
    missing, whose header is unreadable, whose size is not Rows x Columns or whose file does not end
    with the end-of-image marker (``truncated_jpeg``; trailing padding allowed) are excluded,
    counted and listed by dicom_id in the QA under ``excluded_images``, and each kind is logged as a
    warning with example paths; so are rows without Rows/Columns. Images without a split row are
    kept and counted (``no_split``).

    Raises ValueError for a duplicate dicom_id, a subject in two splits, or a split row whose ids
    disagree with the metadata.
    """
    metadata = release.metadata()
    _check_unique_dicom_ids(metadata)
    split = _checked_split(release.split())

    images = pd.DataFrame(
        {
            "dicom_id": metadata["dicom_id"],
            "subject_id": metadata["subject_id"],
            "study_id": metadata["study_id"],
            "image_path": image_relpaths(metadata["subject_id"], metadata["study_id"], metadata["dicom_id"]),
            "view_position": metadata["ViewPosition"],
            "procedure": metadata["PerformedProcedureStepDescription"],
            "view_code_meaning": metadata["ViewCodeSequence_CodeMeaning"],
            "orientation": metadata["PatientOrientationCodeSequence_CodeMeaning"],
            "rows": metadata["Rows"],
            "columns": metadata["Columns"],
            "study_date": metadata["StudyDate"],
            "study_time": metadata["StudyTime"],
            "study_datetime": study_datetimes(metadata["StudyDate"], metadata["StudyTime"]),
        }
    )
    images = _join_split(images, split)

    missing_size = (images["rows"].isna() | images["columns"].isna()).to_numpy()
    excluded = {"missing_dimensions": missing_size}
    if check_files:
        probed = _probe_files(release, images["image_path"], n_workers=n_workers, chunk_size=chunk_size)
        status = probed[:, 0]
        ok = status == JPEG_OK
        rows = images["rows"].fillna(-1).to_numpy(dtype=np.int64)
        columns = images["columns"].fillna(-1).to_numpy(dtype=np.int64)
        excluded["missing_file"] = status == JPEG_MISSING
        excluded["unreadable_header"] = status == JPEG_UNREADABLE
        excluded["size_mismatch"] = ok & ~missing_size & ((probed[:, 1] != rows) | (probed[:, 2] != columns))
        # Dropped rather than kept and flagged: embedding would fail on it, and a cohort row
        # without a usable image would bias every slice metric that counts it.
        excluded["truncated_jpeg"] = status == JPEG_TRUNCATED

    dropped = np.zeros(len(images), dtype=bool)
    excluded_images = {}
    for bucket, caught in excluded.items():
        # An image counts in the first bucket that catches it, so buckets never double-count.
        first_caught = caught & ~dropped
        excluded_images[bucket] = id_bucket(images.loc[first_caught, "dicom_id"])
        dropped |= first_caught

    for bucket, content in excluded_images.items():
        if not content["count"]:
            continue
        if bucket in _FILE_ADVICE:
            caught = images["dicom_id"].isin(content["ids"][:_EXAMPLES]).to_numpy()
            paths = [str(release.root / path) for path in images.loc[caught, "image_path"]]
            _LOG.warning(
                "%d image file(s) excluded as %s (counted in ingestion_qa under "
                "images.excluded_images.%s), e.g. %s: %s",
                content["count"],
                bucket,
                bucket,
                paths,
                _FILE_ADVICE[bucket],
            )
        else:
            _LOG.warning(
                "%d image(s) excluded as %s, e.g. %s", content["count"], bucket, content["ids"][:_EXAMPLES]
            )
    table = images.loc[~dropped].reset_index(drop=True)
    table["rows"] = table["rows"].astype(np.int64)
    table["columns"] = table["columns"].astype(np.int64)
    no_split = table["split"].isna()
    bad_time = table["study_datetime"].isna()
    split_ids = set(split["dicom_id"])
    qa = {
        "images": {
            "metadata_rows": len(metadata),
            "rows": len(table),
            "files_checked": bool(check_files),
            "excluded_images": excluded_images,
            "no_split": id_bucket(table.loc[no_split, "dicom_id"]),
            "split_rows_without_metadata": len(split_ids - set(metadata["dicom_id"])),
            "invalid_study_datetime": id_bucket(table.loc[bad_time, "dicom_id"]),
            "split_counts": {name: int(count) for name, count in table["split"].value_counts().items()},
        }
    }
    return table[list(IMAGES_COLUMNS)], qa
