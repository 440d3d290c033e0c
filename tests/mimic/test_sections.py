"""The section parser must reproduce upstream MIT-LCP/mimic-cxr exactly, quirks included."""

from __future__ import annotations

import pytest

from medslice.mimic.sections import (
    extract_main_section,
    normalize_section_names,
    parse_report,
    section_text,
)

from . import upstream_section_parser as upstream


def mimic_report(*lines: str) -> str:
    """A report in the MIMIC-CXR text format: title after 33 spaces, every line indented by one."""
    return " " * 33 + "FINAL REPORT\n" + "\n".join(f" {line}".rstrip() or " " for line in lines) + "\n"


STANDARD = mimic_report(
    "EXAMINATION:  CHEST (PA AND LAT)",
    "",
    "INDICATION:  ___F with cough  // eval for pneumonia",
    "",
    "TECHNIQUE:  Chest PA and lateral",
    "",
    "COMPARISON:  ___",
    "",
    "FINDINGS:",
    "",
    "The lungs are clear.  There is no pleural effusion or pneumothorax.  The",
    "cardiomediastinal silhouette is normal.",
    "",
    "IMPRESSION:",
    "",
    "No acute cardiopulmonary process.",
)
ADDENDUM_AT_TOP = mimic_report(
    "ADDENDUM:  The findings were discussed with Dr. ___ at 10:00 on ___.",
    "",
    "EXAMINATION:  CHEST PORTABLE",
    "",
    "FINDINGS:  Endotracheal tube terminates 4 cm above the carina.",
    "",
    "IMPRESSION:  ET tube in standard position.",
)
WET_READ = mimic_report(
    "WET READ: ___ ___ 9:10 PM",
    "  Left lower lobe opacity, possibly pneumonia.",
    "______________________________________________________________________________",
    "EXAMINATION:  CHEST (PORTABLE AP)",
    "",
    "IMPRESSION:  Left lower lobe pneumonia.",
)
MISSPELT = mimic_report(
    "INDICATION:  Dyspnea.",
    "",
    "FINIDNGS:  Mild interstitial edema.",
    "",
    "IMPRESSON:  Mild pulmonary edema.",
)
FINDINGS_AND_IMPRESSION = mimic_report(
    "HISTORY:  Chest pain.",
    "",
    "FINDINGS AND IMPRESSION:  Heart size normal.  Lungs clear.",
)
CONCLUSION = mimic_report(
    "CLINICAL HISTORY:  Fever.",
    "",
    "REASON FOR EXAMINATION:  Rule out pneumonia.",
    "",
    "CONCLUSION:  Right middle lobe pneumonia.",
)
IMPRESSION_ONLY = mimic_report("IMPRESSION:  Stable cardiomegaly.")
NEITHER = mimic_report(
    "PA AND LATERAL CHEST OF ___:",
    "",
    "HISTORY:  Follow-up.",
    "",
    "Comparison to prior study.",
    "",
    "Interval resolution of the right basilar opacity.  No new consolidation.",
)
NO_HEADERS = mimic_report(
    "Portable chest radiograph.",
    "",
    "Right internal jugular line ends in the mid SVC.  No pneumothorax.",
)
EMPTY_IMPRESSION = mimic_report(
    "FINDINGS:  Small left pleural effusion.",
    "",
    "IMPRESSION:",
    "",
    "",
)
MULTIPLE_IMPRESSIONS = mimic_report(
    "IMPRESSION:  First read: possible pneumothorax.",
    "",
    "FINDINGS:  Tiny apical pneumothorax.",
    "",
    "IMPRESSION:  Small right apical pneumothorax, new.",
)
COMPARISON_ONLY = mimic_report("COMPARISON:  Unchanged from ___.")
TITLE_HEADER = mimic_report(
    "CHEST, PA LATERAL:",
    "",
    "INDICATION:  Cough.",
    "",
    "Heart is normal in size.",
    "",
    "No focal consolidation.",
)
NDICATION_QUIRK = mimic_report("NDICATION:  Upstream maps this typo to impression.")

ALL_REPORTS = {
    "standard": STANDARD,
    "addendum_at_top": ADDENDUM_AT_TOP,
    "wet_read": WET_READ,
    "misspelt": MISSPELT,
    "findings_and_impression": FINDINGS_AND_IMPRESSION,
    "conclusion": CONCLUSION,
    "impression_only": IMPRESSION_ONLY,
    "neither": NEITHER,
    "no_headers": NO_HEADERS,
    "empty_impression": EMPTY_IMPRESSION,
    "multiple_impressions": MULTIPLE_IMPRESSIONS,
    "comparison_only": COMPARISON_ONLY,
    "title_header": TITLE_HEADER,
    "ndication_quirk": NDICATION_QUIRK,
    "empty_text": "",
    "header_on_first_line": "IMPRESSION: no newline before the header",
}


@pytest.mark.parametrize("name", sorted(ALL_REPORTS))
def test_section_text_matches_upstream(name: str) -> None:
    text = ALL_REPORTS[name]
    assert section_text(text) == upstream.section_text(text)


def test_normalize_section_names_matches_upstream_on_every_rule() -> None:
    names = [
        "IMPRESSION",
        " Impresson ",
        "findings/ impression",
        "reason for exam",
        "final impression",
        "clinical history and indication",
        "pa and lateral views of the chest",
        "bone window",
        "wetread",
        "ndication",
        "technique",
        "something else",
    ]
    assert normalize_section_names(names) == upstream.normalize_section_names(names)


def test_standard_report_sections() -> None:
    parsed = parse_report(STANDARD)
    assert parsed["impression"] == "No acute cardiopulmonary process."
    assert parsed["findings"].startswith("The lungs are clear.")
    assert parsed["indication"] == "___F with cough  // eval for pneumonia"
    assert parsed["comparison"] == "___"
    assert parsed["examination"] == "CHEST (PA AND LAT)"
    assert parsed["full_text"] == STANDARD
    assert extract_main_section(parsed) == "No acute cardiopulmonary process."


def test_addendum_at_top_is_its_own_section() -> None:
    _, names, _ = section_text(ADDENDUM_AT_TOP)
    assert names == ["preamble", "addendum", "examination", "findings", "impression"]
    parsed = parse_report(ADDENDUM_AT_TOP)
    assert parsed["addendum"].startswith("The findings were discussed")
    assert extract_main_section(parsed) == "ET tube in standard position."


def test_wet_read_is_kept_apart_from_the_impression() -> None:
    parsed = parse_report(WET_READ)
    assert "wet read" in parsed
    assert parsed["impression"] == "Left lower lobe pneumonia."


def test_misspelt_headers_are_normalised() -> None:
    _, names, _ = section_text(MISSPELT)
    assert names == ["preamble", "indication", "findings", "impression"]
    assert parse_report(MISSPELT)["impression"] == "Mild pulmonary edema."


def test_findings_and_impression_and_conclusion_count_as_impression() -> None:
    assert parse_report(FINDINGS_AND_IMPRESSION)["impression"].startswith("Heart size normal.")
    conclusion = parse_report(CONCLUSION)
    assert conclusion["impression"] == "Right middle lobe pneumonia."
    assert conclusion["history"] == "Fever."
    assert conclusion["indication"] == "Rule out pneumonia."


def test_impression_only_report() -> None:
    parsed = parse_report(IMPRESSION_ONLY)
    assert parsed["impression"] == "Stable cardiomegaly."
    assert parsed["findings"] == ""
    assert extract_main_section(parsed) == "Stable cardiomegaly."


def test_neither_findings_nor_impression_falls_back_to_last_paragraph() -> None:
    sections, names, _ = section_text(NEITHER)
    # The title header ("PA AND LATERAL CHEST OF ___") is findings-like but empty, so it is dropped.
    assert "findings" not in names
    assert names[-1] == "last_paragraph"
    parsed = parse_report(NEITHER)
    assert parsed["history"] == "Follow-up."
    assert parsed["last_paragraph"] == (
        "Comparison to prior study.\n \n Interval resolution of the right basilar opacity.  "
        "No new consolidation."
    )
    assert extract_main_section(parsed) == parsed["last_paragraph"]
    assert sections[-1].strip() == parsed["last_paragraph"]


def test_report_without_headers_splits_the_full_report() -> None:
    _, names, _ = section_text(NO_HEADERS)
    assert names == ["full report", "last_paragraph"]
    main = extract_main_section(parse_report(NO_HEADERS))
    assert main == "Right internal jugular line ends in the mid SVC.  No pneumothorax."


def test_empty_impression_is_dropped() -> None:
    _, names, _ = section_text(EMPTY_IMPRESSION)
    assert "impression" not in names
    parsed = parse_report(EMPTY_IMPRESSION)
    assert parsed["impression"] == ""
    assert extract_main_section(parsed) == "Small left pleural effusion."


def test_multiple_impressions_keep_the_last() -> None:
    parsed = parse_report(MULTIPLE_IMPRESSIONS)
    assert parsed["impression"] == "Small right apical pneumothorax, new."
    assert extract_main_section(parsed) == "Small right apical pneumothorax, new."


def test_comparison_is_the_last_resort() -> None:
    parsed = parse_report(COMPARISON_ONLY)
    assert extract_main_section(parsed) == "Unchanged from ___."
    assert extract_main_section({"comparison": "", "findings": ""}) == ""


def test_upstream_quirk_ndication_means_impression() -> None:
    assert parse_report(NDICATION_QUIRK)["impression"].startswith("Upstream maps")


def test_custom_rules_apply_only_to_their_study() -> None:
    text = mimic_report("RECOMMENDATIONS:  Follow-up CT.", "", "COMPARISON:  None.")
    assert extract_main_section(parse_report(text, study_id=50913680)) == "Follow-up CT."
    assert extract_main_section(parse_report(text)) == "None."
    long_text = "x" * 200 + "hand-cut span" + "y" * 300
    cut = extract_main_section(parse_report(long_text, study_id="s50525523"))
    assert cut == long_text[201:349]


def test_main_section_of_a_table_row_skips_empty_sections() -> None:
    row = {"impression": "", "findings": "Clear lungs.", "last_paragraph": "x", "comparison": "y"}
    assert extract_main_section(row) == "Clear lungs."
