"""Missing reports and truncated JPEGs are warned about, counted in ingestion_qa, and balanced."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from medslice.mimic import jpeg_header
from medslice.mimic.ingest import (
    build_cohort,
    build_images_table,
    build_labels_table,
    build_patients_table,
    build_reports_table,
    merge_qa,
)
from medslice.mimic.jpeg_header import JPEG_OK, JPEG_TRUNCATED, probe_jpeg
from medslice.mimic.reader import MimicCxrJpg, MimicCxrReports

from . import tiny_release as tiny

# The study whose report file is deleted: it has a report in the tiny release.
DELETED_REPORT_STUDY = 51000001
TRUNCATED = 0  # index into tiny.DICOM_IDS: its study keeps its lateral image


def _jpeg_bytes(rows: int = 9, columns: int = 7) -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, size=(rows, columns), dtype=np.uint8)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_tail_check_accepts_padding_and_flags_a_missing_end_marker(tmp_path: Path) -> None:
    path = tmp_path / "x.jpg"
    whole = _jpeg_bytes()
    assert whole.endswith(b"\xff\xd9")
    for padding in (b"", b"\x00" * 5, b"\x00" * 31, b"\x00" * 500, b"\xff\xff"):
        path.write_bytes(whole + padding)
        assert probe_jpeg(path) == (JPEG_OK, 9, 7), padding
    # Cut inside the entropy-coded data: the header still gives the size.
    path.write_bytes(whole[: len(whole) - 20])
    assert probe_jpeg(path) == (JPEG_TRUNCATED, 9, 7)
    # An interrupted download pre-allocated with zeros: the data before the zeros has no end marker.
    path.write_bytes(whole[: len(whole) - 20] + b"\x00" * 64)
    assert probe_jpeg(path) == (JPEG_TRUNCATED, 9, 7)
    # Only the end marker lost.
    path.write_bytes(whole[:-2])
    assert probe_jpeg(path)[0] == JPEG_TRUNCATED


def test_tail_check_reads_only_the_end_of_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap at 377k files: besides the header, one read of at most 32 bytes at the end."""
    path = tmp_path / "big.jpg"
    whole = _jpeg_bytes(300, 200)
    path.write_bytes(whole)
    reads: list[tuple[int, int]] = []
    real_pread = jpeg_header.os.pread

    def counting_pread(fd: int, length: int, offset: int) -> bytes:
        reads.append((length, offset))
        return real_pread(fd, length, offset)

    monkeypatch.setattr(jpeg_header.os, "pread", counting_pread)
    assert probe_jpeg(path) == (JPEG_OK, 300, 200)
    assert reads == [(32, len(whole) - 32)]


@pytest.fixture
def damaged(tmp_path: Path) -> Path:
    """The tiny release with one referenced report deleted and one JPEG truncated after its header."""
    root = tiny.write_tiny_release(tmp_path / "release")
    report = next((root / "files").rglob(f"s{DELETED_REPORT_STUDY}.txt"))
    report.unlink()
    jpeg = next((root / "files").rglob(f"{tiny.DICOM_IDS[TRUNCATED]}.jpg"))
    data = jpeg.read_bytes()
    jpeg.write_bytes(data[: len(data) // 2 + 40])
    assert probe_jpeg(jpeg)[0] == JPEG_TRUNCATED  # the header is intact
    return root


def _tables(root: Path) -> tuple[tuple, list[dict]]:
    """The four ingested tables of the release at ``root`` and their QA, in ``build_cohort``'s order."""
    release = MimicCxrJpg(root)
    images, images_qa = build_images_table(release, n_workers=1)
    reports, reports_qa = build_reports_table(MimicCxrReports(root), n_workers=1)
    labels, labels_qa = build_labels_table(release)
    patients, patients_qa = build_patients_table(tiny.patients_frame(), tiny.admissions_frame())
    return (images, reports, labels, patients), [images_qa, reports_qa, labels_qa, patients_qa]


def _ingest(root: Path) -> tuple:
    tables, qa = _tables(root)
    cohort, cohort_qa = build_cohort(*tables, {})
    return tables[0], cohort, merge_qa(*qa, cohort_qa)


def test_truncated_jpeg_and_missing_report_are_warned_counted_and_balanced(
    damaged: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="medslice.mimic"):
        images, cohort, qa = _ingest(damaged)
    truncated_id = tiny.DICOM_IDS[TRUNCATED]

    # The truncated JPEG is dropped before the cohort, so embedding never meets it.
    assert truncated_id not in set(images["dicom_id"])
    assert truncated_id not in set(cohort["dicom_id"])
    assert qa["images"]["excluded_images"]["truncated_jpeg"] == {"count": 1, "ids": [truncated_id]}

    # Two studies lack a report: the one the release never had and the deleted one.
    assert qa["cohort"]["studies_without_report"] == {
        "count": 2,
        "ids": sorted([tiny.STUDY_WITHOUT_REPORT, DELETED_REPORT_STUDY]),
    }
    assert qa["cohort"]["studies_with_report"] == 2
    assert not cohort.loc[cohort["study_id"] == DELETED_REPORT_STUDY, "has_report"].any()

    accounting = qa["accounting"]
    assert accounting["balanced"] is True
    assert accounting["metadata_rows"] == 6
    assert accounting["excluded"]["images.truncated_jpeg"] == 1
    assert accounting["cohort_rows"] + sum(accounting["excluded"].values()) == 6
    assert accounting["studies"] == {
        "cohort_studies": 4,
        "with_report": 2,
        "without_report": 2,
        "balanced": True,
    }
    assert accounting["gaps"] == {
        "images.missing_file": 0,
        "images.truncated_jpeg": 1,
        "cohort.studies_without_report": 2,
        "cohort.images_without_report": 3,  # 51000001 has one image, 52000002 has two
    }
    json.dumps(qa)

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    truncated = [m for m in warnings if "truncated_jpeg" in m]
    assert len(truncated) == 1
    assert truncated[0].startswith("1 image file(s) excluded as truncated_jpeg")
    assert f"{truncated_id}.jpg" in truncated[0] and "download them again" in truncated[0]
    no_report = [m for m in warnings if "have no report" in m]
    assert len(no_report) == 1
    assert no_report[0].startswith("2 of 4 cohort studies (3 images) have no report")
    assert f"p11/p11000001/s{DELETED_REPORT_STUDY}.txt" in no_report[0]
    assert "restore the report files" in no_report[0]


def test_study_accounting_that_does_not_add_up_is_an_error(damaged: Path) -> None:
    tables, qa = _tables(damaged)
    _, cohort_qa = build_cohort(*tables, {})
    lost_study = cohort_qa["cohort"] | {"studies_with_report": 1}
    with pytest.raises(ValueError, match="does not balance"):
        merge_qa(qa[0], {"cohort": lost_study})


def test_clean_release_has_no_gaps_and_no_gap_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tiny.write_tiny_release(tmp_path / "release")
    with caplog.at_level(logging.WARNING, logger="medslice.mimic"):
        _, _, qa = _ingest(root)
    assert qa["accounting"]["gaps"]["images.truncated_jpeg"] == 0
    assert qa["images"]["excluded_images"]["truncated_jpeg"] == {"count": 0, "ids": []}
    assert not [r for r in caplog.records if "truncated_jpeg" in r.getMessage()]
    # The tiny release deliberately lacks one report: that study alone is warned about.
    assert qa["accounting"]["gaps"]["cohort.studies_without_report"] == 1
