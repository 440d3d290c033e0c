"""Reports table, cohort building, QA accounting and the Arrow schemas, end to end on the tiny
release."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from medslice.mimic import schemas
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

from . import tiny_release as tiny

STUDY_WITHOUT_REPORT = tiny.STUDY_WITHOUT_REPORT


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Built once per module: tests that damage the release work on a copy of it."""
    root = tiny.write_tiny_release(tmp_path_factory.mktemp("cohort") / "release")
    release = MimicCxrJpg(root)
    images, images_qa = build_images_table(release, n_workers=1)
    reports, reports_qa = build_reports_table(MimicCxrReports(root), n_workers=1)
    labels, labels_qa = build_labels_table(release)
    patients, patients_qa = build_patients_table(tiny.patients_frame(), tiny.admissions_frame())
    return {
        "root": root,
        "frames": (images, reports, labels, patients),
        "qas": (images_qa, reports_qa, labels_qa, patients_qa),
    }


def test_reports_table_holds_the_sections(tables: dict) -> None:
    reports = tables["frames"][1]
    by_study = reports.set_index("study_id")
    assert by_study.loc[50414267, "impression"] == "No acute process."
    assert by_study.loc[50414267, "findings"] == "Lungs clear."
    # Without impression/findings, the last section is cut at its first blank line (upstream).
    assert by_study.loc[51000001, "history"] == "Cough."
    assert by_study.loc[51000001, "last_paragraph"] == "Heart normal.\n \n No effusion."
    assert STUDY_WITHOUT_REPORT not in by_study.index


def test_empty_and_undecodable_reports_are_counted(tables: dict, tmp_path: Path) -> None:
    root = shutil.copytree(tables["root"], tmp_path / "release")
    (root / "files" / "p12" / "p12000002" / "s52000002.txt").write_text("   \n")
    (root / "files" / "p11" / "p11000001" / "s51000001.txt").write_bytes(b"\xff\xfe\x00")
    reports, qa = build_reports_table(MimicCxrReports(root), n_workers=1)
    assert qa["reports"]["excluded_reports"]["empty"] == {"count": 1, "ids": [52000002]}
    assert qa["reports"]["excluded_reports"]["undecodable"] == {"count": 1, "ids": [51000001]}
    assert sorted(reports["study_id"]) == [50000001, 50414267]


def test_cohort_columns_dtypes_and_joins(tables: dict) -> None:
    cohort, qa = build_cohort(*tables["frames"], {"uncertainty_policy": "u_ones"})
    assert tuple(cohort.columns) == schemas.COHORT_COLUMNS
    assert cohort["subject_id"].dtype == np.int64
    assert cohort["atelectasis"].dtype == np.float32
    assert cohort["study_datetime"].dtype == "datetime64[ns]"
    assert pd.api.types.is_string_dtype(cohort["report_impression"])
    assert len(cohort) == 6

    row = cohort.set_index("dicom_id").loc[tiny.DICOM_IDS[0]]
    assert row["report_impression"] == "No acute process."
    assert row["view"] == "frontal"
    assert row["race_group"] == "WHITE"
    assert row["age_group"] == "40-60"
    assert row["time_of_day"] == "morning"
    chexpert = tables["frames"][2].query("labeler == 'chexpert' and study_id == 50414267")
    raw_edema = chexpert["edema"].iloc[0]
    assert row["edema"] == (1.0 if raw_edema == -1 else np.nan_to_num(raw_edema))

    # The study without a report keeps its images, flagged and counted.
    no_report = cohort[cohort["study_id"] == STUDY_WITHOUT_REPORT]
    assert len(no_report) == 2
    assert not no_report["has_report"].any()
    assert (no_report["report_text"] == "").all()
    assert qa["cohort"]["studies_without_report"] == {"count": 1, "ids": [STUDY_WITHOUT_REPORT]}
    assert qa["cohort"]["subjects_without_demographics"] == {"count": 1}


def test_filters_and_one_image_per_study(tables: dict) -> None:
    params = {"view_filter": "frontal", "splits": ["train", "test"], "one_image_per_study": True}
    cohort, qa = build_cohort(*tables["frames"], params)
    # Study 52000002's frontal-less pair: ViewPosition blank is "unknown", LL is lateral.
    assert cohort["dicom_id"].tolist() == [tiny.DICOM_IDS[0], tiny.DICOM_IDS[2]]
    excluded = qa["cohort"]["excluded_images"]
    assert excluded["split_filter"]["count"] == 1
    assert excluded["view_filter"]["count"] == 3
    everything, _ = build_cohort(*tables["frames"], {"one_image_per_study": True})
    # PA is preferred over LATERAL within study 50414267.
    assert tiny.DICOM_IDS[0] in set(everything["dicom_id"])
    assert tiny.DICOM_IDS[1] not in set(everything["dicom_id"])


def test_empty_cohort_quotes_the_filters(tables: dict) -> None:
    params = {"view_filter": "lateral", "splits": ["validate"]}
    with pytest.raises(ValueError, match=r"splits=\['validate'\], view_filter='lateral'"):
        build_cohort(*tables["frames"], params)
    with pytest.raises(ValueError, match="labeler"):
        build_cohort(*tables["frames"], {"labeler": "radiologist"})


def test_merge_qa_accounts_for_every_metadata_row(tables: dict, tmp_path: Path) -> None:
    root = shutil.copytree(tables["root"], tmp_path / "release")
    next((root / "files").rglob(f"{tiny.DICOM_IDS[3]}.jpg")).unlink()
    release = MimicCxrJpg(root)
    images, images_qa = build_images_table(release, n_workers=1)
    _, reports, labels, patients = tables["frames"]
    _, reports_qa, labels_qa, patients_qa = tables["qas"]
    cohort, cohort_qa = build_cohort(images, reports, labels, patients, {"view_filter": "lateral"})
    merged = merge_qa(images_qa, reports_qa, labels_qa, patients_qa, cohort_qa)
    accounting = merged["accounting"]
    assert accounting["balanced"]
    assert accounting["metadata_rows"] == 6
    assert accounting["excluded"]["images.missing_file"] == 1
    assert accounting["cohort_rows"] + sum(accounting["excluded"].values()) == 6
    json.dumps(merged)  # the ingestion_qa dataset is JSON
    with pytest.raises(ValueError, match="does not balance"):
        merge_qa(images_qa, cohort_qa | {"cohort": cohort_qa["cohort"] | {"rows": 1}})


def test_tables_conform_to_their_arrow_schemas(tables: dict) -> None:
    images, reports, labels, patients = tables["frames"]
    cohort, _ = build_cohort(*tables["frames"], {})
    for frame, schema in (
        (images, IMAGES_SCHEMA),
        (reports, REPORTS_SCHEMA),
        (labels, LABELS_SCHEMA),
        (patients, PATIENTS_SCHEMA),
        (cohort, COHORT_SCHEMA),
    ):
        table = to_arrow(frame, schema)
        assert table.schema.equals(schema)
        assert table.num_rows == len(frame)
    with pytest.raises(ValueError, match="subject_id"):
        to_arrow(images.assign(subject_id=images["subject_id"] + 0.5), IMAGES_SCHEMA)
    assert COHORT_SCHEMA.field("has_report").type == pa.bool_()


def test_reports_parsed_from_a_zip_in_a_pool_equal_the_serial_tree(tables: dict, tmp_path: Path) -> None:
    root = tables["root"]
    archive = tmp_path / "mimic-cxr-reports.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted((root / "files").rglob("*.txt")):
            zipped.write(path, str(path.relative_to(root)))
    pooled, pooled_qa = build_reports_table(MimicCxrReports(archive), n_workers=2, chunk_size=1)
    pd.testing.assert_frame_equal(pooled, tables["frames"][1])
    assert pooled_qa == tables["qas"][1]


def test_one_image_per_study_prefers_the_view_then_the_smallest_dicom_id() -> None:
    from medslice.mimic.cohort import _one_per_study

    frame = pd.DataFrame(
        {
            "subject_id": [1, 1, 1, 1, 2],
            "study_id": [10, 10, 10, 11, 20],
            "dicom_id": ["c", "b", "a", "z", "y"],
            "view_position": ["PA", "PA", "LATERAL", "AP", "AP"],
            "view": ["frontal", "frontal", "lateral", "frontal", "frontal"],
        }
    )
    # study 10: two PA images tie on the view, so the smaller dicom_id ("b") is kept, not the lateral "a"
    assert frame.loc[_one_per_study(frame), "dicom_id"].tolist() == ["b", "z", "y"]
