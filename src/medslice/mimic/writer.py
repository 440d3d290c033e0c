"""Write a dataset in the exact MIMIC-CXR-JPG 2.1.0 / MIMIC-CXR reports layout (docs/reference.md §3).

``medslice.synth`` calls these to publish its synthetic release; the readers and the ingestion
pipeline then treat it exactly like the PhysioNet download. Output bytes depend only on the inputs:
gzip headers carry ``mtime=0`` and no file name, and every listing is sorted.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from tqdm.auto import tqdm

from medslice.errors import BadTypeError, BadValueError, OverwriteError
from medslice.mimic import layout, schemas
from medslice.mimic.release_text import SYNTHETIC_LICENSE, SYNTHETIC_README
from medslice.mimic.table_io import write_csv, write_csv_gz

_LABEL_VALUES = (1.0, 0.0, -1.0)
_INT_METADATA_COLUMNS = ("Rows", "Columns", "StudyDate")


def _existing_release_parts(root: Path) -> list[str]:
    """Names of the release files already present in ``root`` (a non-empty files/ counts)."""
    names = [
        schemas.METADATA_FILE,
        schemas.CHEXPERT_FILE,
        schemas.NEGBIO_FILE,
        schemas.SPLIT_FILE,
        schemas.TEST_SET_LABELED_FILE,
        schemas.IMAGE_FILENAMES_FILE,
    ]
    present = [name for name in names if (root / name).exists()]
    files = root / "files"
    if files.is_dir() and any(files.iterdir()):
        present.append("files/")
    return present


def _refuse_existing_release(root: Path) -> None:
    """Raise FileExistsError naming ``root`` when it already holds (part of) a release."""
    present = _existing_release_parts(root)
    if present:
        raise OverwriteError(
            f"{root} already holds a MIMIC-CXR-JPG release ({', '.join(present)}); write_release "
            "never overwrites one (the real download is read-only): choose an empty folder"
        )


def _select_columns(
    frame: pd.DataFrame, columns: Sequence[str], table: str, droppable: Sequence[str] = ()
) -> pd.DataFrame:
    """``frame`` with exactly ``columns`` in order; missing or unexpected columns are an error."""
    if not isinstance(frame, pd.DataFrame):
        raise BadTypeError(f"{table} must be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BadValueError(f"{table}: missing column(s) {missing}; expected {list(columns)}")
    extra = [c for c in frame.columns if c not in columns and c not in droppable]
    if extra:
        raise BadValueError(f"{table}: unexpected column(s) {extra}; expected {list(columns)}")
    return frame.loc[:, list(columns)].reset_index(drop=True)


def _as_int64(values: pd.Series, table: str, column: str, *, nullable: bool) -> pd.Series:
    """Integer column, refusing fractional values (and blanks unless ``nullable``)."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (values.notna() & numbers.isna()) | (numbers.notna() & (numbers % 1 != 0))
    if not nullable:
        bad |= values.isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise BadValueError(f"{table}: column {column!r} holds {values.iloc[row]!r} at row {row}")
    return numbers.astype("Int64" if nullable else np.int64)


def _label_frame(
    frame: pd.DataFrame, columns: Sequence[str], table: str, droppable: Sequence[str] = ()
) -> pd.DataFrame:
    """A label table in canonical order with ids as int64 and labels as 1.0/0.0/-1.0/NaN floats."""
    out = _select_columns(frame, columns, table, droppable)
    for column in ("subject_id", "study_id"):
        if column in out.columns:
            out[column] = _as_int64(out[column], table, column, nullable=False)
    labels = [c for c in out.columns if c in schemas.LABEL_NAMES or c in schemas.LABEL_ALIASES]
    for label in labels:
        values = pd.to_numeric(out[label], errors="coerce").astype(np.float64)
        bad = (out[label].notna() & values.isna()) | (values.notna() & ~values.isin(_LABEL_VALUES))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise BadValueError(
                f"{table}: column {label!r} holds {out[label].iloc[row]!r} at row {row}; "
                "expected 1.0, 0.0, -1.0 or missing"
            )
        out[label] = values
    return out


def _metadata_frame(metadata: pd.DataFrame) -> pd.DataFrame:
    """The metadata table in canonical order and value conventions."""
    out = _select_columns(metadata, schemas.METADATA_COLUMNS, "metadata")
    for column in ("subject_id", "study_id"):
        out[column] = _as_int64(out[column], "metadata", column, nullable=False)
    for column in _INT_METADATA_COLUMNS:
        out[column] = _as_int64(out[column], "metadata", column, nullable=True)
    out["StudyTime"] = pd.to_numeric(out["StudyTime"], errors="raise").astype(np.float64)
    if out["dicom_id"].isna().any() or out["dicom_id"].duplicated().any():
        raise BadValueError("metadata: column 'dicom_id' must be unique and non-blank")
    return out


def _split_frame(split: pd.DataFrame) -> pd.DataFrame:
    """The split table in canonical order with valid split names."""
    out = _select_columns(split, schemas.SPLIT_COLUMNS, "split")
    for column in ("subject_id", "study_id"):
        out[column] = _as_int64(out[column], "split", column, nullable=False)
    unknown = ~out["split"].isin(schemas.SPLIT_VALUES)
    if unknown.any():
        raise BadValueError(
            f"split: column 'split' holds {out['split'][unknown].iloc[0]!r}; expected one of "
            f"{list(schemas.SPLIT_VALUES)}"
        )
    return out


def _encode_jpeg(pixels: np.ndarray, quality: int, key: str) -> bytes:
    """Encode a 2-D uint8 array as a grayscale baseline JPEG."""
    array = np.asarray(pixels)
    if array.ndim != 2 or array.dtype != np.uint8:
        raise BadValueError(
            f"image {key!r}: expected a 2-D uint8 array (8-bit grayscale), got shape {array.shape} "
            f"and dtype {array.dtype}"
        )
    buffer = io.BytesIO()
    Image.fromarray(array, mode="L").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _write_images(
    root: Path,
    metadata: pd.DataFrame,
    images: Iterable[tuple[str, np.ndarray]],
    *,
    n_images: int | None,
    jpeg_quality: int,
    check_sizes: bool,
) -> dict[str, str]:
    """Write every image to its layout path; return ``{relpath: sha256}``."""
    by_dicom = metadata.set_index("dicom_id")
    relpaths = {
        dicom_id: str(layout.image_relpath(subject_id, study_id, dicom_id))
        for dicom_id, subject_id, study_id in zip(
            metadata["dicom_id"], metadata["subject_id"], metadata["study_id"], strict=True
        )
    }
    known_paths = set(relpaths.values())
    checksums: dict[str, str] = {}
    for key, pixels in tqdm(images, total=n_images, desc="write images", unit="img"):
        relpath = key if key in known_paths else relpaths.get(key)
        if relpath is None:
            raise BadValueError(f"image {key!r} is neither a dicom_id nor an image path of metadata")
        if relpath in checksums:
            raise BadValueError(f"image {key!r} was given twice")
        if check_sizes:
            dicom_id = Path(relpath).stem
            expected = (by_dicom.at[dicom_id, "Rows"], by_dicom.at[dicom_id, "Columns"])
            if tuple(np.shape(pixels)) != tuple(int(v) for v in expected):
                raise BadValueError(
                    f"image {key!r} has shape {np.shape(pixels)} but metadata says Rows x Columns "
                    f"= {expected[0]} x {expected[1]}"
                )
        data = _encode_jpeg(pixels, jpeg_quality, key)
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        checksums[relpath] = hashlib.sha256(data).hexdigest()
    return checksums


def _sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_release(
    root: str | Path,
    *,
    metadata: pd.DataFrame,
    chexpert: pd.DataFrame,
    negbio: pd.DataFrame,
    split: pd.DataFrame,
    test_set_labeled: pd.DataFrame,
    images: Iterable[tuple[str, np.ndarray]],
    n_images: int | None = None,
    jpeg_quality: int = 95,
    license_text: str = SYNTHETIC_LICENSE,
    readme_text: str = SYNTHETIC_README,
    check_sizes: bool = True,
) -> None:
    """Write a complete MIMIC-CXR-JPG release folder.

    Tables must carry the PhysioNet columns (any order; written in canonical order): ``metadata``
    :data:`~medslice.mimic.schemas.METADATA_COLUMNS`, ``chexpert``/``negbio``
    :data:`~medslice.mimic.schemas.LABEL_COLUMNS`, ``split``
    :data:`~medslice.mimic.schemas.SPLIT_COLUMNS`, ``test_set_labeled``
    :data:`~medslice.mimic.schemas.TEST_SET_LABELED_COLUMNS` (a ``subject_id`` column is dropped).
    Labels are written as ``1.0``/``0.0``/``-1.0``/blank, ``StudyTime`` as a float such as
    ``80556.875``, ``StudyDate``/``Rows``/``Columns`` as integers, a missing ``ViewPosition`` blank.

    ``images`` yields ``(dicom_id or relative path, 2-D uint8 array)``; each becomes an 8-bit
    grayscale JPEG at ``files/pXX/pSUBJECT/sSTUDY/DICOM_ID.jpg``. Metadata rows without an image are
    allowed (and later reported missing by ingestion). ``check_sizes`` refuses an array whose shape
    is not Rows x Columns; switch it off only to craft a deliberately inconsistent release.

    Also writes ``IMAGE_FILENAMES`` (images written, sorted), ``LICENSE.txt``, ``README`` and
    ``SHA256SUMS.txt`` (``<hex>  <relpath>`` for every other file written, sorted by path). Raises
    FileExistsError naming ``root`` if it already holds a release.
    """
    root = Path(root)
    _refuse_existing_release(root)
    if not 1 <= jpeg_quality <= 100:
        raise BadValueError(f"jpeg_quality must be between 1 and 100, got {jpeg_quality}")
    tables = {
        schemas.METADATA_FILE: _metadata_frame(metadata),
        schemas.CHEXPERT_FILE: _label_frame(chexpert, schemas.LABEL_COLUMNS, "chexpert"),
        schemas.NEGBIO_FILE: _label_frame(negbio, schemas.LABEL_COLUMNS, "negbio"),
        schemas.SPLIT_FILE: _split_frame(split),
    }
    # The labelled test set may spell a label as the radiologists' file does ('Airspace Opacity'); keep it.
    aliases = {v: k for k, v in schemas.LABEL_ALIASES.items() if k in test_set_labeled.columns}
    test_set = _label_frame(
        test_set_labeled,
        tuple(aliases.get(c, c) for c in schemas.TEST_SET_LABELED_COLUMNS),
        "test_set_labeled",
        droppable=("subject_id",),
    )

    root.mkdir(parents=True, exist_ok=True)
    checksums = _write_images(
        root,
        tables[schemas.METADATA_FILE],
        images,
        n_images=n_images,
        jpeg_quality=jpeg_quality,
        check_sizes=check_sizes,
    )
    for name, frame in tables.items():
        write_csv_gz(root / name, frame)
    write_csv(root / schemas.TEST_SET_LABELED_FILE, test_set)
    (root / schemas.IMAGE_FILENAMES_FILE).write_text(
        "".join(f"{relpath}\n" for relpath in sorted(checksums)), encoding="utf-8", newline=""
    )
    (root / schemas.LICENSE_FILE).write_text(license_text, encoding="utf-8", newline="")
    (root / schemas.README_FILE).write_text(readme_text, encoding="utf-8", newline="")

    top_level = [
        *tables,
        schemas.TEST_SET_LABELED_FILE,
        schemas.IMAGE_FILENAMES_FILE,
        schemas.LICENSE_FILE,
        schemas.README_FILE,
    ]
    checksums.update({name: _sha256_file(root / name) for name in top_level})
    (root / schemas.SHA256SUMS_FILE).write_text(
        "".join(f"{checksums[path]}  {path}\n" for path in sorted(checksums)),
        encoding="utf-8",
        newline="",
    )


def write_reports(root: str | Path, reports: pd.DataFrame) -> None:
    """Write one free-text report per study at ``files/pXX/pSUBJECT/sSTUDY.txt`` below ``root``.

    ``reports`` has ``subject_id``, ``study_id`` and ``text``; the text is written byte for byte
    (UTF-8, no newline translation). ``root`` may be the image release folder, since MIMIC-CXR keeps
    reports beside the study folders. Raises FileExistsError naming the first report that already
    exists, before writing anything; a study given twice is a ValueError.
    """
    root = Path(root)
    frame = _select_columns(reports, ("subject_id", "study_id", "text"), "reports")
    for column in ("subject_id", "study_id"):
        frame[column] = _as_int64(frame[column], "reports", column, nullable=False)
    duplicated = frame.duplicated(["subject_id", "study_id"])
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise BadValueError(
            f"reports: study {first['study_id']} of subject {first['subject_id']} is given twice"
        )
    if frame["text"].isna().any():
        raise BadValueError("reports: column 'text' has missing values")
    paths = [
        root / str(layout.report_relpath(subject_id, study_id))
        for subject_id, study_id in zip(frame["subject_id"], frame["study_id"], strict=True)
    ]
    existing = [path for path in paths if path.exists()]
    if existing:
        raise OverwriteError(
            f"{len(existing)} report(s) already exist, e.g. {existing[0]}; write_reports never "
            "overwrites reports"
        )
    for path, text in tqdm(
        zip(paths, frame["text"], strict=True),
        total=len(paths),
        desc="write reports",
        unit="report",
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(str(text))
