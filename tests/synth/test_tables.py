"""The tables of a release: exact MIMIC columns and value formats, ids, split, demographics, counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.mimic import layout, schemas
from medslice.synth import SyntheticRelease


def test_columns_are_exactly_the_mimic_ones_in_order(default_release: SyntheticRelease) -> None:
    r = default_release
    assert tuple(r.metadata.columns) == schemas.METADATA_COLUMNS
    assert tuple(r.chexpert.columns) == schemas.LABEL_COLUMNS
    assert tuple(r.negbio.columns) == schemas.LABEL_COLUMNS
    assert tuple(r.split.columns) == schemas.SPLIT_COLUMNS
    assert tuple(r.patients.columns) == schemas.PATIENTS_COLUMNS
    assert tuple(r.admissions.columns) == schemas.ADMISSIONS_COLUMNS
    assert list(r.reports.columns) == ["subject_id", "study_id", "text"]
    # The labelled test set names Lung Opacity "Airspace Opacity" by default (both are accepted by readers).
    renamed = ["Airspace Opacity" if name == "Lung Opacity" else name for name in schemas.LABEL_NAMES]
    assert list(r.test_set_labeled.columns) == ["study_id", *renamed]
    assert schemas.LABEL_ALIASES["Airspace Opacity"] == "Lung Opacity"


def test_ids_have_mimic_formats_and_are_unique(default_release: SyntheticRelease) -> None:
    m = default_release.metadata
    assert m["subject_id"].map(layout.is_valid_subject_id).all()
    assert m["study_id"].map(layout.is_valid_study_id).all()
    assert m["dicom_id"].map(layout.is_valid_dicom_id).all()
    assert m["dicom_id"].is_unique
    studies = default_release.chexpert
    assert studies["study_id"].is_unique
    # A study belongs to one subject, and every study has images and a report.
    assert (m.groupby("study_id")["subject_id"].nunique() == 1).all()
    assert set(studies["study_id"]) == set(m["study_id"]) == set(default_release.reports["study_id"])
    assert default_release.admissions["hadm_id"].is_unique
    assert set(default_release.patients["subject_id"]) == set(m["subject_id"])


def test_metadata_values_look_like_mimic(default_release: SyntheticRelease) -> None:
    m = default_release.metadata
    views = m["ViewPosition"]
    shares = views.value_counts(normalize=True, dropna=False)
    for view in ("AP", "PA", "LATERAL", "LL"):
        assert shares[view] > 0.05
    empty = views.isna().mean()
    assert 0.02 < empty < 0.07
    rare = set(views.dropna()) - {"AP", "PA", "LATERAL", "LL"}
    assert rare and rare <= set(schemas.FRONTAL_VIEWS | schemas.LATERAL_VIEWS)
    years = m["StudyDate"] // 10000
    assert m["StudyDate"].dtype == np.int64 and years.between(2100, 2200).all()
    assert m["StudyDate"].astype(str).str.len().eq(8).all()
    # StudyTime lost its leading zeros: HHMMSS.fff as a float, with early-morning values below 100000.
    time = m["StudyTime"]
    assert time.dtype == np.float64 and (time >= 0).all() and (time < 240000).all()
    hhmmss = time.astype(int)
    assert ((hhmmss // 100) % 100 < 60).all() and (hhmmss % 100 < 60).all() and (time < 100000).any()
    meanings = set(m["ViewCodeSequence_CodeMeaning"].dropna())
    assert {"postero-anterior", "antero-posterior", "lateral", "left lateral"} <= meanings
    assert set(m["PatientOrientationCodeSequence_CodeMeaning"].dropna()) == {"Erect", "Recumbent"}
    assert m["PatientOrientationCodeSequence_CodeMeaning"].isna().any()
    procedures = set(m["PerformedProcedureStepDescription"])
    assert {"CHEST (PA AND LAT)", "CHEST (PORTABLE AP)", "CHEST PORT. LINE PLACEMENT"} <= procedures
    # Rows/Columns vary a little across detectors and keep roughly the real aspect ratio.
    assert m[["Rows", "Columns"]].drop_duplicates().shape[0] >= 3
    ratio = m["Columns"] / m["Rows"]
    assert ratio.between(0.8, 1.25).all() and ((ratio - 2544 / 3056).abs() < 0.01).mean() > 0.7


def test_studies_mix_pa_lateral_pairs_and_single_portables(default_release: SyntheticRelease) -> None:
    gt = default_release.ground_truth
    per_study = gt.groupby("study_id")["view"].agg(lambda s: tuple(sorted(s)))
    assert (per_study == ("frontal", "lateral")).mean() > 0.45
    assert (per_study == ("frontal",)).mean() > 0.25
    portable = gt.groupby("study_id")["portable"].first()
    assert (per_study[portable] == ("frontal",)).mean() > 0.8


def test_split_is_patient_disjoint_with_held_out_sets(default_release: SyntheticRelease) -> None:
    split = default_release.split
    assert set(split["split"]) == {"train", "validate", "test"}
    assert (split.groupby("subject_id")["split"].nunique() == 1).all()
    shares = split.drop_duplicates("subject_id")["split"].value_counts(normalize=True)
    assert shares["train"] > 0.9 and shares["validate"] + shares["test"] >= 0.05
    assert split["dicom_id"].tolist() == default_release.metadata["dicom_id"].tolist()


def test_labelled_test_set_holds_the_true_labels_of_test_studies(default_release: SyntheticRelease) -> None:
    labelled = default_release.test_set_labeled
    test_studies = set(default_release.split.loc[default_release.split["split"] == "test", "study_id"])
    assert set(labelled["study_id"]) == test_studies
    gt = default_release.ground_truth.drop_duplicates("study_id").set_index("study_id")
    truth = gt.loc[labelled["study_id"]]
    assert (labelled["Pneumothorax"].to_numpy() == truth["pneumothorax"].to_numpy()).all()
    assert (labelled["Airspace Opacity"].to_numpy() == truth["lung_opacity"].to_numpy()).all()
    assert (labelled["No Finding"].to_numpy() == truth["no_finding"].to_numpy()).all()
    assert labelled.drop(columns="study_id").isin([0.0, 1.0]).all().all()


def test_demographics_follow_mimic_iv(default_release: SyntheticRelease) -> None:
    patients, admissions = default_release.patients, default_release.admissions
    assert set(patients["gender"]) == {"F", "M"}
    # Ages over 89 are shown as 91.
    assert set(patients.loc[patients["anchor_age"] > 89, "anchor_age"]) == {91}
    assert patients["anchor_year"].between(2100, 2200).all()
    assert patients["dod"].isna().mean() > 0.5
    without = set(patients["subject_id"]) - set(admissions["subject_id"])
    assert 0.03 < len(without) / len(patients) < 0.2
    assert set(admissions["insurance"]) == {"Medicare", "Medicaid", "Other"}
    races = set(admissions["race"])
    assert {
        "WHITE",
        "BLACK/AFRICAN AMERICAN",
        "HISPANIC/LATINO - PUERTO RICAN",
        "ASIAN - CHINESE",
        "OTHER",
        "UNKNOWN",
    } <= races
    # One race per subject; admissions are ordered timestamps.
    assert (admissions.groupby("subject_id")["race"].nunique() == 1).all()
    assert (pd.to_datetime(admissions["dischtime"]) > pd.to_datetime(admissions["admittime"])).all()


def test_hard_counts_for_the_failure_scenarios(default_release: SyntheticRelease) -> None:
    labels, metadata = default_release.chexpert, default_release.metadata
    assert 4500 < len(labels) < 5500 and 7000 < len(metadata) < 9000
    assert (labels["Pneumothorax"] == 1.0).sum() >= 300
    cardiomegaly = set(labels.loc[labels["Cardiomegaly"] == 1.0, "study_id"])
    lateral = metadata["ViewPosition"].eq("LATERAL") & metadata["study_id"].isin(cardiomegaly)
    assert lateral.sum() >= 100
    devices_without_ptx = (labels["Support Devices"] == 1.0) & (labels["Pneumothorax"] != 1.0)
    assert devices_without_ptx.sum() >= 300
    assert (metadata["ViewPosition"].isin(["PA", "AP"])).sum() > 3000
    assert (metadata["ViewPosition"].isin(["LATERAL", "LL"])).sum() > 2000


def test_clinical_correlations(default_release: SyntheticRelease) -> None:
    studies = default_release.ground_truth.drop_duplicates("study_id")
    ptx = studies["pneumothorax"]
    # Chest tubes follow pneumothorax, though many pneumothoraces are imaged before the tube goes in.
    assert studies.loc[ptx, "chest_tube"].mean() > 2 * studies.loc[~ptx, "chest_tube"].mean()
    # Pneumothorax patients carry devices more often, but the same kinds: post-operative drains keep chest
    # tubes common without pneumothorax, so no single device type marks it (a support-device shortcut).
    devices = studies["support_devices"]
    assert studies.loc[ptx, "support_devices"].mean() > 1.5 * studies.loc[~ptx, "support_devices"].mean()
    assert studies.loc[devices & ~ptx, "chest_tube"].mean() > 0.15
    for kind in ("endotracheal_tube", "central_line"):
        with_ptx = studies.loc[devices & ptx, kind].mean()
        without = studies.loc[devices & ~ptx, kind].mean()
        assert abs(with_ptx - without) < 0.1, kind
    portable = studies["portable"]
    assert (
        studies.loc[portable, "support_devices"].mean() > 2 * studies.loc[~portable, "support_devices"].mean()
    )
    assert studies.loc[portable, "age"].mean() > studies.loc[~portable, "age"].mean()
    assert studies.loc[portable, "no_finding"].mean() < studies.loc[~portable, "no_finding"].mean()
    cardio = studies["cardiomegaly"]
    assert studies.loc[cardio, "edema"].mean() > 2 * studies.loc[~cardio, "edema"].mean()
    assert studies.loc[cardio, "pleural_effusion"].mean() > studies.loc[~cardio, "pleural_effusion"].mean()
    # Cardiomegaly means a cardiothoracic ratio above 0.5.
    assert (studies.loc[cardio, "cardiothoracic_ratio"] > 0.5).all()
    assert (studies.loc[~cardio, "cardiothoracic_ratio"] < 0.5).all()
