"""Free-text radiology reports in the exact MIMIC-CXR file format, consistent with the rendered findings.

Format (docs/reference.md §3.5): line 1 is 33 spaces + ``FINAL REPORT``; later lines start with one space;
blank lines are a single space; lines are at most 79 characters; inline headers look like
`` EXAMINATION:  CHEST (PA AND LAT)``; block headers like `` FINDINGS: `` are followed by a blank line;
sentences are separated by two spaces; identifiers, ages and dates are ``___``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from medslice.mimic.schemas import LABEL_NAMES
from medslice.synth.config import FINDINGS
from medslice.synth.phrases import (
    DEVICES_LABEL,
    NEGATION_NOUNS,
    NORMAL_IMPRESSIONS,
    POSITIVE,
    UNCERTAIN,
    Sentence,
    device_sentences,
    negation_sentence,
    normal_heart_sentence,
    positive_sentence,
)
from medslice.synth.render.spec import ZONES
from medslice.synth.vocabulary import LINE_PROCEDURE, RIB_PROCEDURE, TRAUMA_PROCEDURE

TITLE = " " * 33 + "FINAL REPORT"
WIDTH = 79
QUIRKS: tuple[str, ...] = ("impression_only", "no_sections", "addendum", "wet_read", "misspelt_header")
MISSPELT_IMPRESSION_HEADERS = ("IMPRESSON", "IMPRESION", "FINDINGS AND IMPRESSION", "CONCLUSION")
# Order in which the impression lists positive findings: the most urgent first.
IMPRESSION_ORDER: tuple[str, ...] = (
    "pneumothorax",
    "pleural_effusion",
    "edema",
    "pneumonia",
    "consolidation",
    "lung_opacity",
    "cardiomegaly",
    "enlarged_cardiomediastinum",
    "atelectasis",
    "lung_lesion",
    "fracture",
    "pleural_other",
)
LUNG_FINDINGS = ("consolidation", "pneumonia", "lung_opacity", "atelectasis", "edema", "lung_lesion")
PLEURAL_FINDINGS = ("pleural_effusion", "pneumothorax", "pleural_other")
INDICATIONS_ROOM = (
    "___-year-old {sex} with cough.  Evaluate for pneumonia.",
    "___ year old {sex} with chest pain.",
    "___{letter} with shortness of breath  // eval for acute process",
    "History: ___{letter} with dyspnea on exertion",
    "___-year-old {sex} with fever and productive cough.",
    "Preoperative evaluation.",
    "___-year-old {sex} with history of heart failure, now with increasing edema.",
    "___{letter} with new lung nodule on prior imaging  // follow-up",
)
INDICATIONS_BEDSIDE = (
    "___-year-old {sex} intubated in the ICU.  Evaluate tube position.",
    "___{letter} s/p line placement  // confirm position",
    "___-year-old {sex} with hypoxia.",
    "___{letter} with respiratory distress  // eval for pneumonia, edema",
    "___-year-old {sex} status post chest tube placement.  Assess for pneumothorax.",
    "___-year-old {sex} with fever and leukocytosis.",
    "___ year old {sex} s/p fall  // eval for fracture or pneumothorax",
)
COMPARISONS_FIRST = ("None.", "None available.")
COMPARISONS_LATER = ("___.", "Chest radiograph from ___.", "Prior study from ___.", "___ and ___.")
ADDENDA = (
    "Findings were discussed with Dr. ___ by telephone at ___ on ___, approximately ___ minutes after "
    "discovery.",
    "The above findings were communicated to the covering team by Dr. ___ at ___.",
    "Comparison is now made with the prior study from ___, which shows no substantial change.",
)


@dataclass
class Section:
    """One report section: an inline header (``HEADER:  text``) or a block header with paragraph lines."""

    header: str
    sentences: list[Sentence] = field(default_factory=list)
    text: str = ""
    inline: bool = False
    numbered: bool = False


@dataclass(frozen=True)
class WrittenReport:
    """A report's text, the labels its label-bearing section implies, and how it was written.

    Attributes
    ----------
    text : str
        The exact file content of ``sSTUDY.txt``.
    labels : dict[str, float]
        MIMIC label -> 1.0 / 0.0 / -1.0 for every label mentioned in ``label_section``.
    label_section : str
        Which section MIMIC would extract labels from: impression, findings or
        last_paragraph.
    """

    text: str
    labels: dict[str, float]
    label_section: str


def write_report(
    rng: np.random.Generator,
    study: Mapping[str, Any],
    *,
    quirk: str = "",
    hedged: frozenset[str] = frozenset(),
    omitted: str = "",
    spurious: str = "",
) -> WrittenReport:
    """Write one study's report.

    Parameters
    ----------
    rng : np.random.Generator
        The study's random generator.
    study : Mapping[str, Any]
        A study record: findings (bools) with severities, sides and zones, devices, ``procedure``,
        ``portable``, ``orientation``, ``sex``, ``views`` and ``first_study``.
    quirk : str, default=""
        One of :data:`QUIRKS` or ``""``.
    hedged : frozenset[str], default=frozenset()
        Present findings the radiologist is unsure about (worded as uncertain, labelled -1).
    omitted : str, default=""
        A present finding the report misses (label noise).
    spurious : str, default=""
        An absent finding the report claims (label noise).
    """
    present = [f for f in FINDINGS if bool(study.get(f)) and f != omitted]
    if spurious:
        present.append(spurious)
        study = _with_made_up_attributes(rng, study, spurious)
    silent = {omitted, spurious} - {""}
    detail = _findings_sentences(rng, study, present, hedged, silent)
    summary = _impression_sentences(rng, study, present, hedged, silent)

    header = [
        Section("EXAMINATION", text=str(study["procedure"]), inline=True),
        Section(
            "INDICATION" if rng.random() < 0.88 else "HISTORY",
            text=_indication(rng, study),
            inline=True,
        ),
        Section("TECHNIQUE", text=_technique(rng, study), inline=True),
        Section(
            "COMPARISON",
            text=_pick(rng, COMPARISONS_FIRST if study.get("first_study") else COMPARISONS_LATER),
            inline=True,
        ),
    ]
    body: list[Section]
    trailing: list[Sentence] = []
    if quirk == "impression_only":
        body = [Section("IMPRESSION", detail + summary)]
        label_section = "impression"
    elif quirk == "no_sections":
        body = []
        trailing = detail + summary
        label_section = "last_paragraph"
    elif quirk == "misspelt_header":
        name = _pick(rng, MISSPELT_IMPRESSION_HEADERS)
        if name == "FINDINGS AND IMPRESSION":
            body = [Section(name, detail + summary)]
        else:
            body = [Section("FINDINGS", detail), Section(name, summary)]
        label_section = "impression"
    else:
        numbered = len(summary) >= 2 and rng.random() < 0.2
        body = [Section("FINDINGS", detail), Section("IMPRESSION", summary, numbered=numbered)]
        label_section = "impression"

    lines = [TITLE]
    if quirk == "addendum":
        lines += _format(Section("ADDENDUM", text=_pick(rng, ADDENDA), inline=True)) + [" ", " "]
    if quirk == "wet_read":
        lines += _wet_read(rng, summary)
    for k, section in enumerate(header + body):
        if k:
            lines.append(" ")
        lines += _format(section)
    if trailing:
        lines += [" ", *_wrap("  ".join(s.text for s in trailing))]
    labels_from = {"impression": body[-1:], "last_paragraph": [Section("", trailing)]}[label_section]
    return WrittenReport("\n".join(lines) + "\n", _aggregate(labels_from), label_section)


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def _with_made_up_attributes(
    rng: np.random.Generator, study: Mapping[str, Any], finding: str
) -> dict[str, Any]:
    """A copy of ``study`` with the side/zone/size a spurious mention of ``finding`` needs."""
    made_up = dict(study)
    made_up[f"{finding}_severity"] = "mild"
    side = _pick(rng, ["right", "left"])
    for key in ("pleural_effusion_side", "pneumothorax_side", "atelectasis_side", "fracture_side"):
        if key.startswith(finding):
            made_up[key] = side
    made_up.setdefault("fracture_rib", 6)
    if finding in ("consolidation", "pneumonia", "lung_opacity", "lung_lesion"):
        made_up[f"{finding}_zone"] = _pick(rng, ZONES)
        made_up.setdefault("lung_lesion_size_mm", 8)
    return made_up


def _findings_sentences(
    rng: np.random.Generator,
    study: Mapping[str, Any],
    present: list[str],
    hedged: frozenset[str],
    silent: set[str],
) -> list[Sentence]:
    """The FINDINGS paragraph: devices, lungs, pleura, heart and mediastinum, negations, bones."""
    out = device_sentences(rng, study, short=False)
    lung = [f for f in LUNG_FINDINGS if f in present]
    rng.shuffle(lung)
    for finding in lung + [f for f in PLEURAL_FINDINGS if f in present]:
        out.append(positive_sentence(rng, finding, study, short=False, hedged=finding in hedged))
    if not lung and rng.random() < 0.5:
        out.append(Sentence(_pick(rng, ["The lungs are clear.", "Lungs are well expanded and clear."])))
    heart_findings = [f for f in ("cardiomegaly", "enlarged_cardiomediastinum") if f in present]
    for finding in heart_findings:
        out.append(positive_sentence(rng, finding, study, short=False, hedged=finding in hedged))
    negate_heart = "cardiomegaly" not in present and "cardiomegaly" not in silent and rng.random() < 0.85
    negate_mediastinum = (
        "enlarged_cardiomediastinum" not in present
        and "enlarged_cardiomediastinum" not in silent
        and rng.random() < (0.6 if heart_findings else 0.8)
    )
    if negate_heart or negate_mediastinum:
        out.append(normal_heart_sentence(rng, heart=negate_heart, mediastinum=negate_mediastinum))
    absent = [f for f in NEGATION_NOUNS if f not in present and f not in silent]
    if absent and rng.random() < 0.9:
        chosen = sorted(
            rng.choice(len(absent), size=min(len(absent), int(rng.integers(1, 4))), replace=False)
        )
        out.append(negation_sentence(rng, [absent[k] for k in chosen]))
    if "fracture" in present:
        out.append(positive_sentence(rng, "fracture", study, short=False, hedged="fracture" in hedged))
    elif "fracture" not in silent and rng.random() < 0.12:
        out.append(Sentence("No displaced rib fractures.", (("Fracture", 0.0),)))
    elif rng.random() < 0.3:
        out.append(Sentence(_pick(rng, ["No acute osseous abnormality.", "Osseous structures are intact."])))
    return out


def _impression_sentences(
    rng: np.random.Generator,
    study: Mapping[str, Any],
    present: list[str],
    hedged: frozenset[str],
    silent: set[str],
) -> list[Sentence]:
    """The IMPRESSION: positives (most urgent first), devices, and often a pertinent negative."""
    devices = device_sentences(rng, study, short=True)
    if not present and not devices:
        return [Sentence(_pick(rng, NORMAL_IMPRESSIONS))]
    out = [
        positive_sentence(rng, f, study, short=True, hedged=f in hedged)
        for f in IMPRESSION_ORDER
        if f in present
    ]
    if len(devices) > 1 and rng.random() < 0.3:
        out.append(Sentence("Lines and tubes in standard position.", ((DEVICES_LABEL, POSITIVE),)))
    else:
        out += devices
    if "pneumothorax" not in present and "pneumothorax" not in silent and (devices and rng.random() < 0.7):
        out.append(negation_sentence(rng, ["pneumothorax"]))
    elif rng.random() < 0.35:
        absent = [f for f in ("pleural_effusion", "pneumothorax", "consolidation") if f not in present]
        absent = [f for f in absent if f not in silent]
        if absent:
            out.append(negation_sentence(rng, [_pick(rng, absent)]))
    return out


def _indication(rng: np.random.Generator, study: Mapping[str, Any]) -> str:
    female = study.get("sex") == "F"
    sex = "woman" if female else "man"
    if rng.random() < 0.5:
        sex = "female" if female else "male"
    letter = "F" if female else "M"
    procedure = study.get("procedure")
    if procedure == LINE_PROCEDURE:
        template = "___{letter} with new line placement  // confirm line position"
    elif procedure == TRAUMA_PROCEDURE:
        template = "___-year-old {sex} trauma patient.  Evaluate for acute injury."
    elif procedure == RIB_PROCEDURE:
        template = "___ year old {sex} with rib pain after a fall  // fracture?"
    else:
        template = _pick(rng, INDICATIONS_BEDSIDE if study.get("portable") else INDICATIONS_ROOM)
    return template.format(sex=sex, letter=letter)


def _technique(rng: np.random.Generator, study: Mapping[str, Any]) -> str:
    views = tuple(study.get("views") or ())
    if study.get("portable"):
        if study.get("orientation") == "recumbent":
            return _pick(rng, ["Portable supine AP view of the chest.", "Supine portable chest radiograph."])
        return _pick(
            rng, ["Portable semi-upright AP view of the chest.", "Portable upright AP chest radiograph."]
        )
    if len(views) == 1:
        return _pick(rng, ["Single frontal view of the chest.", "PA view of the chest."])
    return _pick(
        rng,
        [
            "PA and lateral views of the chest.",
            "Chest PA and lateral.",
            "Frontal and lateral chest radiographs.",
        ],
    )


def _wet_read(rng: np.random.Generator, summary: list[Sentence]) -> list[str]:
    """A preliminary ("wet") read at the top, separated by a line of underscores."""
    hour = int(rng.integers(1, 13))
    minute = int(rng.integers(0, 60))
    half = _pick(rng, ["AM", "PM"])
    lines = [f" WET READ: ___ ___ ___ {hour}:{minute:02d} {half}"]
    lines += _wrap("  ".join(s.text for s in summary[:2]))
    return [*lines, " " + "_" * (WIDTH - 1), " "]


def _wrap(paragraph: str, first_prefix: str = "") -> list[str]:
    """Wrap a paragraph to lines of at most 79 characters, each starting with one space."""
    wrapper = textwrap.TextWrapper(
        width=WIDTH,
        initial_indent=" " + first_prefix,
        subsequent_indent=" ",
        break_long_words=False,
        break_on_hyphens=False,
    )
    return wrapper.wrap(paragraph) or [" " + first_prefix.rstrip()]


def _format(section: Section) -> list[str]:
    """The lines of one section."""
    if section.inline:
        return _wrap(section.text, first_prefix=f"{section.header}:  ")
    lines = [f" {section.header}: ", " "]
    if section.numbered:
        for k, sentence in enumerate(section.sentences, start=1):
            lines += _wrap(f"{k}. {sentence.text}")
    else:
        lines += _wrap("  ".join(s.text for s in section.sentences))
    return lines


def _aggregate(sections: list[Section]) -> dict[str, float]:
    """CheXpert aggregation over the sentences of the label-bearing section(s).

    A positive mention beats an uncertain one, which beats a negation; No Finding is 1.0 when no label
    other than Support Devices is positive or uncertain.
    """
    labels: dict[str, float] = {}
    for section in sections:
        for sentence in section.sentences:
            for label, value in sentence.mentions:
                current = labels.get(label)
                if current is None or _rank(value) > _rank(current):
                    labels[label] = value
    findings = [name for name in LABEL_NAMES if name not in ("No Finding", DEVICES_LABEL)]
    if not any(labels.get(name) in (POSITIVE, UNCERTAIN) for name in findings):
        labels["No Finding"] = POSITIVE
    return labels


def _rank(value: float) -> int:
    return {POSITIVE: 3, UNCERTAIN: 2, 0.0: 1}[value]
