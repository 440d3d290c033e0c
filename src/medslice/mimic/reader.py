"""Read-only handles on a MIMIC-CXR-JPG release folder and on the MIMIC-CXR reports (docs/reference.md
§3).

Both work on the real PhysioNet download and on the synthetic release that ``medslice.synth`` writes
in the same layout. Columns are matched by name, never by position.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pandas as pd

from medslice.errors import BadValueError, MissingFileError
from medslice.mimic import schemas
from medslice.mimic.reports_source import MimicCxrReports
from medslice.mimic.table_io import read_table

_METADATA_KINDS: dict[str, str] = {
    "dicom_id": "key",
    "subject_id": "id",
    "study_id": "id",
    "PerformedProcedureStepDescription": "str",
    "ViewPosition": "str",
    "Rows": "int",
    "Columns": "int",
    "StudyDate": "int",
    "StudyTime": "float",
    "ProcedureCodeSequence_CodeMeaning": "str",
    "ViewCodeSequence_CodeMeaning": "str",
    "PatientOrientationCodeSequence_CodeMeaning": "str",
}
_LABEL_KINDS: dict[str, str] = {
    "subject_id": "id",
    "study_id": "id",
    **dict.fromkeys(schemas.LABEL_NAMES, "float"),
}
_SPLIT_KINDS: dict[str, str] = {
    "dicom_id": "key",
    "study_id": "id",
    "subject_id": "id",
    "split": "str",
}
_LABEL_VALUES = (1.0, 0.0, -1.0)

__all__ = ["MimicCxrJpg", "MimicCxrReports"]


class MimicCxrJpg:
    """A read-only handle on a MIMIC-CXR-JPG 2.x release folder.

    Construction only checks that ``root`` is a folder holding the metadata table; every table is
    read on demand, so the handle is cheap to create and to pass around.
    """

    def __init__(self, root: str | Path) -> None:
        root = Path(root)
        if not root.is_dir():
            raise MissingFileError(f"MIMIC-CXR-JPG release folder {root} does not exist")
        if not (root / schemas.METADATA_FILE).is_file():
            raise MissingFileError(
                f"{root} is not a MIMIC-CXR-JPG release: it has no {schemas.METADATA_FILE}"
            )
        self.root = root

    def __repr__(self) -> str:
        return f"MimicCxrJpg({str(self.root)!r})"

    def identity(self) -> dict[str, object]:
        """What identifies this copy of the release for caches: its folder and its top-level tables' stats.

        A regenerated or replaced release changes a table's size or modification time, so results cached
        for the old one are not reused. Cheap: no file is read.
        """
        tables = {}
        for name in (schemas.METADATA_FILE, "SHA256SUMS.txt", "IMAGE_FILENAMES"):
            path = self.root / name
            if path.is_file():
                stat = path.stat()
                tables[name] = [stat.st_size, stat.st_mtime_ns]
        return {"root": str(self.root.resolve()), "tables": tables}

    def _table(self, name: str) -> Path:
        """Path of a top-level table, refusing a missing one with the folder named."""
        path = self.root / name
        if not path.is_file():
            raise MissingFileError(f"{name} is missing from the release folder {self.root}")
        return path

    def metadata(self) -> pd.DataFrame:
        """The per-image DICOM metadata, in the PhysioNet column order (ids as int64)."""
        return read_table(
            self._table(schemas.METADATA_FILE),
            kinds=_METADATA_KINDS,
            required=schemas.METADATA_COLUMNS,
        )

    def chexpert(self) -> pd.DataFrame:
        """The CheXpert labels per study: subject_id, study_id and the 14 labels (1/0/-1/NaN)."""
        return self._labels(schemas.CHEXPERT_FILE)

    def negbio(self) -> pd.DataFrame:
        """The NegBio labels per study: subject_id, study_id and the 14 labels (1/0/-1/NaN)."""
        return self._labels(schemas.NEGBIO_FILE)

    def _labels(self, name: str) -> pd.DataFrame:
        """Read one label table and check its values."""
        frame = read_table(self._table(name), kinds=_LABEL_KINDS, required=schemas.LABEL_COLUMNS)
        _check_label_values(frame, name)
        return frame

    def split(self) -> pd.DataFrame:
        """The official split per image: dicom_id, study_id, subject_id, split (order not assumed)."""
        frame = read_table(
            self._table(schemas.SPLIT_FILE), kinds=_SPLIT_KINDS, required=schemas.SPLIT_COLUMNS
        )
        unknown = ~frame["split"].isin(schemas.SPLIT_VALUES)
        if unknown.any():
            row = int(unknown.to_numpy().nonzero()[0][0])
            raise BadValueError(
                f"{schemas.SPLIT_FILE}: column 'split' holds {frame['split'].iloc[row]!r} on line "
                f"{row + 2}; expected one of {list(schemas.SPLIT_VALUES)}"
            )
        return frame

    def test_set_labeled(self) -> pd.DataFrame | None:
        """The radiologist-labelled test set, or None when the release does not ship it.

        Accepts ``Airspace Opacity`` for ``Lung Opacity`` and a file without ``subject_id`` (then
        the column is all missing, nullable Int64).
        """
        path = self.root / schemas.TEST_SET_LABELED_FILE
        if not path.is_file():
            return None
        # subject_id may be absent here, so it is nullable rather than a required id.
        kinds = {**_LABEL_KINDS, "subject_id": "int"}
        frame = read_table(
            path,
            kinds=kinds,
            required=schemas.TEST_SET_LABELED_COLUMNS,
            aliases=schemas.LABEL_ALIASES,
        )
        if "subject_id" not in frame.columns:
            frame.insert(0, "subject_id", pd.array([pd.NA] * len(frame), dtype="Int64"))
        _check_label_values(frame, schemas.TEST_SET_LABELED_FILE)
        return frame

    def image_path(self, relpath: str) -> Path:
        """Absolute path of an image given its release-relative path (``files/p10/...jpg``)."""
        relative = PurePosixPath(relpath)
        if relative.is_absolute() or ".." in relative.parts:
            raise BadValueError(f"relpath must stay inside the release folder, got {relpath!r}")
        return self.root.joinpath(*relative.parts)


def _check_label_values(frame: pd.DataFrame, name: str) -> None:
    """Refuse label cells other than 1.0, 0.0, -1.0 or blank, naming file, column and line."""
    for label in schemas.LABEL_NAMES:
        values = frame[label]
        bad = values.notna() & ~values.isin(_LABEL_VALUES)
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise BadValueError(
                f"{name}: column {label!r} holds {values.iloc[row]!r} on line {row + 2}; "
                "expected 1.0, 0.0, -1.0 or blank"
            )
