"""build_images_table: header checks, split join, StudyTime padding and the refusals."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from medslice.mimic import schemas
from medslice.mimic.ingest import IMAGES_COLUMNS, build_images_table
from medslice.mimic.jpeg_header import JPEG_OK, JPEG_UNREADABLE, probe_jpeg
from medslice.mimic.reader import MimicCxrJpg
from medslice.mimic.study_time import format_study_time, study_datetimes
from medslice.mimic.table_io import write_csv_gz

from . import tiny_release as tiny


@pytest.fixture
def release(tmp_path: Path) -> MimicCxrJpg:
    return MimicCxrJpg(tiny.write_tiny_release(tmp_path / "release", with_reports=False))


def _image_file(release: MimicCxrJpg, index: int) -> Path:
    row = tiny.IMAGES[index]
    return release.root / "files" / f"p{str(row[1])[:2]}" / f"p{row[1]}" / f"s{row[2]}" / (f"{row[0]}.jpg")


def test_clean_release_gives_one_row_per_image(release: MimicCxrJpg) -> None:
    table, qa = build_images_table(release, n_workers=1)
    assert list(table.columns) == list(IMAGES_COLUMNS)
    assert table["dicom_id"].tolist() == tiny.DICOM_IDS
    assert table["split"].tolist() == tiny.SPLITS
    assert (table["rows"].tolist(), table["columns"].tolist()) == (
        [r[5] for r in tiny.IMAGES],
        [r[6] for r in tiny.IMAGES],
    )
    assert all((release.root / p).is_file() for p in table["image_path"])
    assert qa["images"]["metadata_rows"] == qa["images"]["rows"] == 6
    assert all(b["count"] == 0 for b in qa["images"]["excluded_images"].values())


def test_study_time_is_zero_padded_before_parsing(release: MimicCxrJpg) -> None:
    table, _ = build_images_table(release, check_files=False)
    stamps = table.set_index("dicom_id")["study_datetime"]
    assert stamps[tiny.DICOM_IDS[0]] == pd.Timestamp("2180-05-06 08:05:56.875")
    assert stamps[tiny.DICOM_IDS[2]] == pd.Timestamp("2180-05-06 21:30:14.531")
    assert stamps[tiny.DICOM_IDS[4]] == pd.Timestamp("2180-05-06 00:12:34.5")
    assert format_study_time(80556.875) == "080556.875000"
    odd = study_datetimes(pd.Series([21800506, 21800506, None]), pd.Series([96100.0, None, 1.0]))
    assert odd.isna().all()  # minute 61, missing time, missing date


def test_missing_unreadable_and_mis_sized_images_are_excluded_and_listed(
    release: MimicCxrJpg,
) -> None:
    _image_file(release, 1).unlink()
    _image_file(release, 2).write_bytes(b"\xff\xd8\xff\xe0 truncated")
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((9, 9), dtype=np.uint8)).save(buffer, format="JPEG")
    _image_file(release, 3).write_bytes(buffer.getvalue())

    table, qa = build_images_table(release, n_workers=1)
    excluded = qa["images"]["excluded_images"]
    assert excluded["missing_file"] == {"count": 1, "ids": [tiny.DICOM_IDS[1]]}
    assert excluded["unreadable_header"] == {"count": 1, "ids": [tiny.DICOM_IDS[2]]}
    assert excluded["size_mismatch"] == {"count": 1, "ids": [tiny.DICOM_IDS[3]]}
    assert table["dicom_id"].tolist() == [tiny.DICOM_IDS[i] for i in (0, 4, 5)]
    assert qa["images"]["rows"] + sum(b["count"] for b in excluded.values()) == 6


def test_header_probe_reads_the_size_without_decoding(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    Image.fromarray(np.zeros((7, 11), dtype=np.uint8)).save(path, format="JPEG")
    assert probe_jpeg(path) == (JPEG_OK, 7, 11)
    # A long segment before the frame header pushes it past the first read.
    Image.fromarray(np.zeros((5, 3), dtype=np.uint8)).save(path, format="JPEG", comment=b"x" * 9000)
    assert path.read_bytes().find(b"\xff\xc0") > 9000
    assert probe_jpeg(path) == (JPEG_OK, 5, 3)
    path.write_bytes(b"not a jpeg")
    assert probe_jpeg(path)[0] == JPEG_UNREADABLE


def test_pool_of_workers_gives_the_same_table(release: MimicCxrJpg) -> None:
    _image_file(release, 5).unlink()
    serial, serial_qa = build_images_table(release, n_workers=1, chunk_size=2)
    pooled, pooled_qa = build_images_table(release, n_workers=2, chunk_size=2)
    pd.testing.assert_frame_equal(serial, pooled)
    assert serial_qa == pooled_qa


def test_image_without_split_row_is_kept_and_counted(release: MimicCxrJpg) -> None:
    split = release.split()
    write_csv_gz(release.root / schemas.SPLIT_FILE, split.iloc[1:])
    table, qa = build_images_table(release, check_files=False)
    assert len(table) == 6
    assert qa["images"]["no_split"] == {"count": 1, "ids": [tiny.DICOM_IDS[0]]}


def test_duplicate_dicom_id_is_an_error(release: MimicCxrJpg) -> None:
    metadata = release.metadata()
    write_csv_gz(release.root / schemas.METADATA_FILE, pd.concat([metadata, metadata.iloc[[2]]]))
    with pytest.raises(ValueError, match=rf"duplicate|more than once.*{tiny.DICOM_IDS[2]}"):
        build_images_table(release, check_files=False)


def test_subject_in_two_splits_is_an_error_naming_the_subject(release: MimicCxrJpg) -> None:
    split = release.split()
    split.loc[split["dicom_id"] == tiny.DICOM_IDS[2], "split"] = "test"
    write_csv_gz(release.root / schemas.SPLIT_FILE, split)
    with pytest.raises(ValueError, match="more than one split: 10000032"):
        build_images_table(release, check_files=False)
