"""Reports: the exact MIMIC-CXR text format, and labels that follow from the text."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from medslice.mimic import layout, schemas
from medslice.synth import SyntheticRelease
from medslice.synth.reports import write_report

HEADER = re.compile(r"\n ([A-Z ()/,-]+):\s")
IMPRESSION_NAMES = {"impression", "impresson", "impresion", "conclusion", "findings and impression"}


def label_section(text: str) -> str:
    """The section CheXpert labels come from: last impression, else findings, else the last paragraph."""
    matches = list(HEADER.finditer(text))
    sections = []
    for k, match in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(text)
        sections.append((match.group(1).lower(), text[match.end() : end]))
    for wanted in (IMPRESSION_NAMES, {"findings"}):
        chosen = [body for name, body in sections if name in wanted]
        if chosen:
            return " ".join(chosen[-1].split())
    last = sections[-1][1]
    return " ".join("\n \n".join(last.split("\n \n")[1:]).split())


@pytest.fixture(scope="module")
def reports(default_release: SyntheticRelease) -> pd.DataFrame:
    """Reports joined with their CheXpert labels and ground truth."""
    gt = default_release.ground_truth.drop_duplicates("study_id")
    merged = default_release.reports.merge(default_release.chexpert, on=["subject_id", "study_id"])
    return merged.merge(gt[["study_id", "report_quirk", "label_noise", "hedged"]], on="study_id")


def test_report_text_follows_the_mimic_file_format(reports: pd.DataFrame) -> None:
    for text in reports["text"]:
        lines = text.split("\n")
        assert lines[0] == layout.REPORT_TITLE == " " * 33 + "FINAL REPORT"
        assert text.endswith("\n") and "\t" not in text
        for line in lines[1:-1]:
            assert line.startswith(" "), line
            assert len(line) <= 79, line
            assert line.strip() or line == " ", repr(line)
        # Block headers are followed by a blank line; inline headers by two spaces.
        for k, line in enumerate(lines):
            if re.fullmatch(r" [A-Z ]+: ", line):
                assert lines[k + 1] == " "
        assert re.search(r"^ EXAMINATION:  \S", text, re.MULTILINE)


def test_sentences_are_separated_by_two_spaces(reports: pd.DataFrame) -> None:
    single = reports["text"].str.contains(r"[a-z]\. [A-Z]")
    double = reports["text"].str.contains(r"[a-z]\.  [A-Z]")
    assert not single.any()
    assert double.mean() > 0.9


def test_identifiers_ages_and_dates_are_redacted(reports: pd.DataFrame) -> None:
    text = reports["text"]
    assert not text.str.contains(r"\b\d{1,2}/\d{1,2}\b").any()  # dates
    assert not text.str.contains(r"\b(?:19|20|21)\d{2}\b").any()  # years
    assert not text.str.contains(r"\d+[- ]year", case=False).any()  # ages
    assert not text.str.contains(r"\b\d+\s*(?:yo|y/o|M|F)\b").any()  # "65M", "70 yo"
    assert text.str.contains("___").mean() > 0.9
    assert text.str.contains(r"___(?:-year-old| year old|M|F)").mean() > 0.5


def test_quirks_appear_in_small_shares(reports: pd.DataFrame) -> None:
    quirk = reports["report_quirk"]
    shares = quirk.value_counts(normalize=True)
    for name in ("impression_only", "no_sections", "addendum", "wet_read", "misspelt_header"):
        assert 0.01 < shares[name] < 0.1
    text = reports["text"]
    assert not text[quirk == "impression_only"].str.contains(" FINDINGS: ").any()
    no_sections = text[quirk == "no_sections"]
    assert not no_sections.str.contains("IMPRESSION|FINDINGS").any()
    assert text[quirk == "addendum"].str.split("\n").str[1].str.startswith(" ADDENDUM:").all()
    assert text[quirk == "wet_read"].str.contains(r"^ WET READ: ___", regex=True, flags=re.MULTILINE).all()
    misspelt = text[quirk == "misspelt_header"]
    assert misspelt.str.contains(r" (?:IMPRESSON|IMPRESION|FINDINGS AND IMPRESSION|CONCLUSION): ").all()
    assert not misspelt.str.contains("\n IMPRESSION: ", regex=False).any()


def test_labels_follow_from_the_label_section(reports: pd.DataFrame) -> None:
    sections = reports["text"].map(label_section)
    normal = sections.isin(["No acute cardiopulmonary process.", "Normal chest radiograph."])
    assert normal.sum() > 300
    others = [n for n in schemas.LABEL_NAMES if n != "No Finding"]
    assert reports.loc[normal, others].isna().all().all()
    assert (reports.loc[normal, "No Finding"] == 1.0).all()

    only_negated_ptx = sections.str.contains(r"No (?:evidence of )?pneumothorax\.") & (
        sections.str.count("pneumothorax") == 1
    )
    assert only_negated_ptx.sum() > 100
    assert (reports.loc[only_negated_ptx, "Pneumothorax"] == 0.0).all()

    hedged_pneumonia = sections.str.contains(
        r"(?:Possible early pneumonia|Early pneumonia in the \w+ \w+ lobe cannot)"
    )
    assert hedged_pneumonia.any()
    assert (reports.loc[hedged_pneumonia, "Pneumonia"] == -1.0).all()

    tubes = sections.str.contains(r"(?:Endotracheal|ET) tube|chest tube|PICC|IJ line|Pacemaker lead")
    assert (reports.loc[tubes, "Support Devices"] == 1.0).all()
    unmentioned = ~sections.str.contains("effusion")
    assert reports.loc[unmentioned, "Pleural Effusion"].isna().all()

    # No Finding is 1.0 exactly when nothing but Support Devices is positive or uncertain.
    active = reports[[n for n in others if n != "Support Devices"]].isin([1.0, -1.0]).any(axis=1)
    assert ((reports["No Finding"] == 1.0) == ~active).all()
    assert reports["No Finding"].isin([1.0]).sum() + reports["No Finding"].isna().sum() == len(reports)


def test_labels_agree_with_the_pixels_up_to_small_label_noise(default_release: SyntheticRelease) -> None:
    gt = default_release.ground_truth.drop_duplicates("study_id").set_index("study_id")
    labels = default_release.chexpert.set_index("study_id").loc[gt.index]
    clean = gt["label_noise"] == ""
    assert 0.005 < 1 - clean.mean() < 0.03
    for finding, label in (
        ("pneumothorax", "Pneumothorax"),
        ("cardiomegaly", "Cardiomegaly"),
        ("edema", "Edema"),
    ):
        mentioned = labels[label].isin([1.0, -1.0])
        assert (mentioned[clean] == gt.loc[clean, finding]).all(), finding
    devices = labels["Support Devices"] == 1.0
    assert (devices[clean] == gt.loc[clean, "support_devices"]).all()
    hedged = gt["hedged"].str.contains("pneumothorax") & clean
    assert (labels.loc[hedged[hedged].index, "Pneumothorax"] == -1.0).all()


def test_negbio_differs_from_chexpert_in_a_small_share(default_release: SyntheticRelease) -> None:
    chexpert = default_release.chexpert[list(schemas.LABEL_NAMES)].to_numpy()
    negbio = default_release.negbio[list(schemas.LABEL_NAMES)].to_numpy()
    assert (
        (
            default_release.negbio[["subject_id", "study_id"]]
            == default_release.chexpert[["subject_id", "study_id"]]
        )
        .all()
        .all()
    )
    same = (chexpert == negbio) | (np.isnan(chexpert) & np.isnan(negbio))
    mentioned = ~np.isnan(chexpert)
    share = 1 - same[mentioned].mean()
    assert 0.003 < share < 0.06


def test_the_project_sectioner_finds_the_label_section(default_release: SyntheticRelease) -> None:
    sections = pytest.importorskip("medslice.mimic.sections")
    gt = default_release.ground_truth.drop_duplicates("study_id").set_index("study_id")
    sample = default_release.reports.iloc[::10]
    for study_id, text in zip(sample["study_id"], sample["text"], strict=True):
        parsed = sections.parse_report(text, study_id=study_id)
        expected = gt.loc[study_id, "report_label_section"]
        assert " ".join(sections.extract_main_section(parsed).split()) == label_section(text), study_id
        if expected == "last_paragraph":
            assert not parsed["impression"] and not parsed["findings"] and parsed["last_paragraph"]
        else:
            assert parsed["impression"]


def test_write_report_marks_omitted_and_spurious_findings() -> None:
    study = {
        "procedure": "CHEST (PA AND LAT)",
        "sex": "M",
        "views": ("PA", "LATERAL"),
        "first_study": True,
        "pneumothorax": True,
        "pneumothorax_severity": "moderate",
        "pneumothorax_side": "left",
    }
    rng = np.random.default_rng(0)
    full = write_report(rng, study)
    assert full.labels["Pneumothorax"] == 1.0 and "left" in full.text and "No Finding" not in full.labels
    missed = write_report(np.random.default_rng(0), study, omitted="pneumothorax")
    assert "Pneumothorax" not in missed.labels and "pneumothorax" not in missed.text.lower()
    claimed = write_report(np.random.default_rng(0), study, spurious="edema")
    assert claimed.labels["Edema"] == 1.0
