"""Writer/reader round trip on a tiny hand-made release, and the reader's refusals."""

from __future__ import annotations

import gzip
import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from medslice.mimic import schemas
from medslice.mimic.reader import MimicCxrJpg, MimicCxrReports
from medslice.mimic.table_io import write_csv, write_csv_gz
from medslice.mimic.writer import write_release, write_reports

from . import tiny_release as tiny


def _all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_round_trip_tables_are_equal(tmp_path: Path) -> None:
    release = MimicCxrJpg(tiny.write_tiny_release(tmp_path / "release"))

    expected = tiny.metadata_frame()
    metadata = release.metadata()
    assert list(metadata.columns) == list(schemas.METADATA_COLUMNS)
    assert metadata["dicom_id"].tolist() == expected["dicom_id"].tolist()
    assert metadata["StudyTime"].tolist() == expected["StudyTime"].tolist()
    assert metadata["Rows"].tolist() == expected["Rows"].tolist()
    assert metadata["ViewPosition"].isna().tolist() == expected["ViewPosition"].isna().tolist()
    assert metadata["subject_id"].dtype == np.int64

    pd.testing.assert_frame_equal(release.chexpert(), tiny.label_frame(1), check_dtype=False)
    pd.testing.assert_frame_equal(release.negbio(), tiny.label_frame(2), check_dtype=False)
    split = release.split()
    assert list(split.columns) == list(schemas.SPLIT_COLUMNS)
    assert split["split"].tolist() == tiny.SPLITS
    test_set = release.test_set_labeled()
    assert test_set is not None
    assert test_set["study_id"].tolist() == tiny.label_frame(1)["study_id"].iloc[2:].tolist()


def test_written_files_follow_the_physionet_conventions(tmp_path: Path) -> None:
    root = tiny.write_tiny_release(tmp_path / "release", with_reports=False)
    metadata_text = gzip.decompress((root / schemas.METADATA_FILE).read_bytes()).decode()
    lines = metadata_text.splitlines()
    assert lines[0] == ",".join(schemas.METADATA_COLUMNS)
    # StudyTime keeps its float form without leading zeros; an empty ViewPosition is blank.
    assert ",16,12,21800506,80556.875," in lines[1]
    assert f"{tiny.DICOM_IDS[4]},12000002,52000002,CHEST (PRE-OP PA AND LAT),," in lines[5]
    chexpert_text = gzip.decompress((root / schemas.CHEXPERT_FILE).read_bytes()).decode()
    cells = {c for line in chexpert_text.splitlines()[1:] for c in line.split(",")[2:]}
    assert cells == {"1.0", "0.0", "-1.0", ""}

    listed = (root / schemas.IMAGE_FILENAMES_FILE).read_text().splitlines()
    assert len(listed) == 6
    assert all(name.startswith("files/p1") and name.endswith(".jpg") for name in listed)
    with Image.open(root / listed[0]) as image:
        assert image.mode == "L"
        assert image.format == "JPEG"

    sums = dict(reversed(line.split("  ", 1)) for line in (root / "SHA256SUMS.txt").read_text().splitlines())
    on_disk = {k: v for k, v in _all_files(root).items() if k != "SHA256SUMS.txt"}
    assert set(sums) == set(on_disk)
    for relpath, data in on_disk.items():
        assert sums[relpath] == hashlib.sha256(data).hexdigest()


def test_rewrite_is_byte_identical(tmp_path: Path) -> None:
    first = _all_files(tiny.write_tiny_release(tmp_path / "a"))
    second = _all_files(tiny.write_tiny_release(tmp_path / "b"))
    assert first == second


def test_overwrite_is_refused_naming_the_folder(tmp_path: Path) -> None:
    root = tiny.write_tiny_release(tmp_path / "release")
    with pytest.raises(FileExistsError, match=str(root)):
        tiny.write_tiny_release(root)
    with pytest.raises(FileExistsError, match="already exist"):
        write_reports(root, tiny.reports_frame())


def test_writer_refuses_an_image_of_the_wrong_size(tmp_path: Path) -> None:
    images = tiny.pixel_arrays()
    images[0] = (images[0][0], np.zeros((5, 5), dtype=np.uint8))
    with pytest.raises(ValueError, match="Rows x Columns"):
        write_release(
            tmp_path / "bad",
            metadata=tiny.metadata_frame(),
            chexpert=tiny.label_frame(1),
            negbio=tiny.label_frame(2),
            split=tiny.split_frame(),
            test_set_labeled=tiny.label_frame(1).drop(columns="subject_id"),
            images=images,
        )


def test_reader_refuses_a_folder_that_is_not_a_release(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        MimicCxrJpg(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        MimicCxrJpg(tmp_path)


@pytest.mark.parametrize(
    ("file_name", "column", "read"),
    [
        (schemas.METADATA_FILE, "ViewPosition", MimicCxrJpg.metadata),
        (schemas.CHEXPERT_FILE, "Pleural Effusion", MimicCxrJpg.chexpert),
        (schemas.SPLIT_FILE, "subject_id", MimicCxrJpg.split),
    ],
)
def test_missing_required_column_names_file_and_column(
    tmp_path: Path, file_name: str, column: str, read: object
) -> None:
    root = tiny.write_tiny_release(tmp_path / "release", with_reports=False)
    frame = pd.read_csv(root / file_name)
    write_csv_gz(root / file_name, frame.drop(columns=column))
    with pytest.raises(ValueError, match=rf"{file_name}.*'{column}'"):
        read(MimicCxrJpg(root))  # type: ignore[operator]


def test_label_value_outside_the_convention_is_refused(tmp_path: Path) -> None:
    root = tiny.write_tiny_release(tmp_path / "release", with_reports=False)
    frame = pd.read_csv(root / schemas.NEGBIO_FILE)
    frame.loc[1, "Edema"] = 2.0
    write_csv_gz(root / schemas.NEGBIO_FILE, frame)
    with pytest.raises(ValueError, match=r"negbio.*'Edema'.*line 3"):
        MimicCxrJpg(root).negbio()


def test_test_set_accepts_airspace_opacity_and_no_subject_id(tmp_path: Path) -> None:
    root = tiny.write_tiny_release(tmp_path / "release", with_reports=False)
    frame = pd.read_csv(root / schemas.TEST_SET_LABELED_FILE)
    assert "subject_id" not in frame.columns
    write_csv(
        root / schemas.TEST_SET_LABELED_FILE,
        frame.rename(columns={"Lung Opacity": "Airspace Opacity"}),
    )
    test_set = MimicCxrJpg(root).test_set_labeled()
    assert test_set is not None
    assert "Lung Opacity" in test_set.columns
    assert test_set["Lung Opacity"].tolist() == pytest.approx(frame["Lung Opacity"].tolist(), nan_ok=True)
    assert test_set["subject_id"].isna().all()


def test_reports_from_a_zip_equal_reports_from_the_tree(tmp_path: Path) -> None:
    root = tmp_path / "reports"
    write_reports(root, tiny.reports_frame())
    archive = tmp_path / "mimic-cxr-reports.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((root / "files").rglob("*.txt")):
            zipped.write(path, str(path.relative_to(root)))
    from_tree = list(MimicCxrReports(root))
    from_zip = list(MimicCxrReports(archive))
    assert from_zip == from_tree
    assert len(MimicCxrReports(archive)) == 3
    expected = tiny.reports_frame()
    assert [(s, st) for s, st, _ in from_tree] == sorted(
        zip(expected["subject_id"], expected["study_id"], strict=True)
    )
    assert from_tree[0][2] == expected.set_index("study_id").loc[from_tree[0][1], "text"]
