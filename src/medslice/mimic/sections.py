"""Split a MIMIC-CXR free-text report into its sections.

This is a faithful port of ``txt/section_parser.py`` and of the section-picking logic of
``txt/create_section_files.py`` from the MIT-LCP/mimic-cxr repository
(https://github.com/MIT-LCP/mimic-cxr, Copyright (c) 2019 MIT Laboratory for Computational
Physiology, released under the MIT licence). The header regex, the frequency map of section names
(including its quirks, e.g. ``"ndication" -> "impression"``), the removal of empty
impression/findings sections, the ``last_paragraph`` fallback and the manually curated per-study
rules are kept exactly as upstream, so that our sections are the ones the CheXpert/NegBio labels
were extracted from.

Upstream's MIT licence requires this notice: Permission is hereby granted, free of charge, to any
person obtaining a copy of this software and associated documentation files, to deal in the Software
without restriction, subject to the condition that the above copyright notice and this permission
notice shall be included in all copies or substantial portions of the Software. THE SOFTWARE IS
PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
"""

from __future__ import annotations

import re

# Upstream compiles these on every call; hoisting them changes nothing but speed.
_SECTION_HEADER = re.compile(r"\n ([A-Z ()/,-]+):\s", re.DOTALL)

_FREQUENT_SECTIONS: dict[str, str] = {
    "preamble": "preamble",  # 227885
    "impression": "impression",  # 187759
    "comparison": "comparison",  # 154647
    "indication": "indication",  # 153730
    "findings": "findings",  # 149842
    "examination": "examination",  # 94094
    "technique": "technique",  # 81402
    "history": "history",  # 45624
    "comparisons": "comparison",  # 8686
    "clinical history": "history",  # 7121
    "reason for examination": "indication",  # 5845
    "notification": "notification",  # 5749
    "reason for exam": "indication",  # 4430
    "clinical information": "history",  # 4024
    "exam": "examination",  # 3907
    "clinical indication": "indication",  # 1945
    "conclusion": "impression",  # 1802
    "chest, two views": "findings",  # 1735
    "recommendation(s)": "recommendations",  # 1700
    "type of examination": "examination",  # 1678
    "reference exam": "comparison",  # 347
    "patient history": "history",  # 251
    "addendum": "addendum",  # 183
    "comparison exam": "comparison",  # 163
    "date": "date",  # 108
    "comment": "comment",  # 88
    "findings and impression": "impression",  # 87
    "wet read": "wet read",  # 83
    "comparison film": "comparison",  # 79
    "recommendations": "recommendations",  # 72
    "findings/impression": "impression",  # 47
    "pfi": "history",
    "recommendation": "recommendations",
    "wetread": "wet read",
    "ndication": "impression",  # 1 (sic: upstream maps this typo to impression)
    "impresson": "impression",  # 2
    "imprression": "impression",  # 1
    "imoression": "impression",  # 1
    "impressoin": "impression",  # 1
    "imprssion": "impression",  # 1
    "impresion": "impression",  # 1
    "imperssion": "impression",  # 1
    "mpression": "impression",  # 1
    "impession": "impression",  # 3
    "findings/ impression": "impression",  # 1
    "finding": "findings",  # 8
    "findins": "findings",
    "findindgs": "findings",  # 1
    "findgings": "findings",  # 1
    "findngs": "findings",  # 1
    "findnings": "findings",  # 1
    "finidngs": "findings",  # 2
    "idication": "indication",  # 1
    "reference findings": "findings",  # 1
    "comparision": "comparison",  # 2
    "comparsion": "comparison",  # 1
    "comparrison": "comparison",  # 1
    "comparisions": "comparison",  # 1
}

_FINDINGS_LIKE = re.compile(
    "({})".format(
        "|".join(
            [
                "chest",
                "portable",
                "pa and lateral",
                "lateral and pa",
                "ap and lateral",
                "lateral and ap",
                "frontal and",
                "two views",
                "frontal view",
                "pa view",
                "ap view",
                "one view",
                "lateral view",
                "bone window",
                "frontal upright",
                "frontal semi-upright",
                "ribs",
                "pa and lat",
            ]
        )
    )
)

_MAIN_SECTIONS: tuple[str, ...] = ("impression", "findings", "history", "comparison", "addendum")

# create_section_files.py picks the *last* section of the first of these names that exists.
MAIN_SECTION_PRIORITY: tuple[str, ...] = ("impression", "findings", "last_paragraph", "comparison")

# The keys parse_report always returns, so that a table of parsed reports has fixed columns.
REPORT_KEYS: tuple[str, ...] = (
    "impression",
    "findings",
    "indication",
    "comparison",
    "history",
    "last_paragraph",
    "full_text",
)

# Reports that upstream's authors sectioned by hand: the main section is the last one of this name
CUSTOM_SECTION_NAMES: dict[str, str] = {
    "s50913680": "recommendations",  # files/p11/p11851243/s50913680.txt
    "s59363654": "examination",  # files/p12/p12128253/s59363654.txt
    "s59279892": "technique",  # files/p13/p13150370/s59279892.txt
    "s59768032": "recommendations",  # files/p13/p13249077/s59768032.txt
    "s57936451": "indication",  # files/p14/p14325424/s57936451.txt
    "s50058765": "indication",  # files/p14/p14731346/s50058765.txt
    "s53356173": "examination",  # files/p15/p15898350/s53356173.txt
    "s53202765": "technique",  # files/p16/p16076182/s53202765.txt
    "s50808053": "technique",  # files/p16/p16631485/s50808053.txt
    "s51966317": "indication",  # files/p10/p10817099/s51966317.txt
    "s50743547": "examination",  # files/p11/p11388341/s50743547.txt
    "s56451190": "note",  # files/p11/p11842879/s56451190.txt
    "s59067458": "recommendations",  # files/p11/p11984647/s59067458.txt
    "s59215320": "examination",  # files/p12/p12408912/s59215320.txt
    "s55124749": "indication",  # files/p12/p12428492/s55124749.txt
    "s54365831": "indication",  # files/p13/p13876470/s54365831.txt
    "s59087630": "recommendations",  # files/p14/p14267880/s59087630.txt
    "s58157373": "recommendations",  # files/p15/p15032392/s58157373.txt
    "s56482935": "recommendations",  # files/p15/p15388421/s56482935.txt
    "s58375018": "recommendations",  # files/p15/p15505556/s58375018.txt
    "s54654948": "indication",  # files/p17/p17090359/s54654948.txt
    "s55157853": "examination",  # files/p18/p18975498/s55157853.txt
    "s51491012": "history",  # files/p19/p19314266/s51491012.txt
}

# ... or these character offsets of the raw text ([0, 0]: no findings anywhere in the report).
CUSTOM_INDICES: dict[str, tuple[int, int]] = {
    "s50525523": (201, 349),  # files/p10/p10602608/s50525523.txt
    "s57564132": (233, 554),  # files/p10/p10637168/s57564132.txt
    "s59982525": (313, 717),  # files/p11/p11989982/s59982525.txt
    "s53488209": (149, 475),  # files/p12/p12458657/s53488209.txt
    "s54875119": (234, 988),  # files/p13/p13687044/s54875119.txt
    "s50196495": (59, 399),  # files/p13/p13894879/s50196495.txt
    "s56579911": (59, 218),  # files/p15/p15394326/s56579911.txt
    "s52648681": (292, 631),  # files/p15/p15666238/s52648681.txt
    "s59889364": (172, 453),  # files/p15/p15835529/s59889364.txt
    "s53514462": (73, 377),  # files/p16/p16297706/s53514462.txt
    "s59505494": (59, 450),  # files/p16/p16730991/s59505494.txt
    "s53182247": (59, 412),  # files/p16/p16770442/s53182247.txt
    "s51410602": (47, 320),  # files/p17/p17069955/s51410602.txt
    "s56412866": (522, 822),  # files/p17/p17612000/s56412866.txt
    "s54986978": (59, 306),  # files/p17/p17912487/s54986978.txt
    "s59003148": (262, 505),  # files/p17/p17916384/s59003148.txt
    "s57150433": (61, 394),  # files/p18/p18335791/s57150433.txt
    "s56760320": (219, 457),  # files/p18/p18418794/s56760320.txt
    "s59562049": (158, 348),  # files/p18/p18502016/s59562049.txt
    "s52674888": (145, 296),  # files/p19/p19381919/s52674888.txt
    "s55258338": (192, 568),  # files/p13/p13719117/s55258338.txt
    "s59330497": (140, 655),  # files/p15/p15479218/s59330497.txt
    "s52119491": (179, 454),  # files/p17/p17959278/s52119491.txt
    "s58235663": (0, 0),  # files/p11/p11573679/s58235663.txt
    "s50798377": (0, 0),  # files/p12/p12632853/s50798377.txt
    "s54168089": (0, 0),  # files/p14/p14463099/s54168089.txt
    "s53071062": (0, 0),  # files/p15/p15774521/s53071062.txt
    "s56724958": (0, 0),  # files/p16/p16175671/s56724958.txt
    "s54231141": (0, 0),  # files/p16/p16312859/s54231141.txt
    "s53607029": (0, 0),  # files/p17/p17603668/s53607029.txt
    "s52035334": (0, 0),  # files/p19/p19349312/s52035334.txt
}


def section_text(text: str) -> tuple[list[str], list[str], list[int]]:
    """Split a report into sections, exactly as upstream ``section_parser.section_text``.

    Returns ``(sections, section_names, section_idx)``: the raw text of each section, its normalised
    name and the offset where its text starts. Text before the first header is ``"preamble"``; a
    report without any header is one ``"full report"`` section. Empty impression/findings sections
    are removed, and when neither remains the last section is split at its first blank line into
    ``last_paragraph``.
    """
    sections: list[str] = []
    section_names: list[str] = []
    section_idx: list[int] = []

    match = _SECTION_HEADER.search(text, 0)
    if match:
        sections.append(text[0 : match.start(1)])
        section_names.append("preamble")
        section_idx.append(0)

        while match:
            current_section = match.group(1).lower()
            idx_start = match.end()
            # Upstream skips past the first newline to avoid some bad parses.
            idx_skip = text[idx_start:].find("\n")
            if idx_skip == -1:
                idx_skip = 0

            match = _SECTION_HEADER.search(text, idx_start + idx_skip)
            idx_end = len(text) if match is None else match.start()

            sections.append(text[idx_start:idx_end])
            section_names.append(current_section)
            section_idx.append(idx_start)
    else:
        sections.append(text)
        section_names.append("full report")
        section_idx.append(0)

    section_names = normalize_section_names(section_names)

    # Empty impression/findings sections are usually a report title ("CHEST, PA LATERAL:") or the
    # empty twin of a duplicated header.
    for i in reversed(range(len(section_names))):
        if section_names[i] in ("impression", "findings") and sections[i].strip() == "":
            sections.pop(i)
            section_names.pop(i)
            section_idx.pop(i)

    # Many simple reports are one header followed by paragraphs: when there is neither impression
    # nor findings, the paragraphs after the last section's first blank line carry the conclusion.
    if "impression" not in section_names and "findings" not in section_names and "\n \n" in sections[-1]:
        sections.append("\n \n".join(sections[-1].split("\n \n")[1:]))
        sections[-2] = sections[-2].split("\n \n")[0]
        section_names.append("last_paragraph")
        section_idx.append(section_idx[-1] + len(sections[-2]))

    return sections, section_names, section_idx


def normalize_section_names(names: list[str]) -> list[str]:
    """Map raw header names to canonical ones, exactly as upstream ``normalize_section_names``.

    Lower-cases and strips each name, then applies, in order: the frequency map (synonyms and
    typos), containment of a main section name (impression, findings, history, comparison,
    addendum), and a findings-like pattern (``chest``, ``pa and lateral``, ...). Other names are
    kept lower-cased.
    """
    section_names = [name.lower().strip() for name in names]
    for i, name in enumerate(section_names):
        if name in _FREQUENT_SECTIONS:
            section_names[i] = _FREQUENT_SECTIONS[name]
            continue
        main = next((m for m in _MAIN_SECTIONS if m in name), None)
        if main is not None:
            section_names[i] = main
            continue
        if _FINDINGS_LIKE.search(name) is not None:
            section_names[i] = "findings"
    return section_names


def _last_index(items: list[str], value: str) -> int:
    """Index of the *last* occurrence of ``value`` (upstream ``list_rindex``)."""
    return len(items) - items[::-1].index(value) - 1


def _study_key(study_id: int | str | None) -> str | None:
    """Upstream keys its custom rules by the file stem, ``s<study_id>``."""
    if study_id is None:
        return None
    key = str(study_id)
    return key if key.startswith("s") else f"s{key}"


def parse_report(text: str, study_id: int | str | None = None) -> dict[str, str]:
    """Parse one report into ``{section name: text}``.

    Every section present appears under its normalised name with the text of its *last* occurrence,
    stripped, as ``create_section_files.py`` does. The keys of :data:`REPORT_KEYS` are always
    present (``""`` when the report has no such section); ``full_text`` is the unmodified report.

    ``main_section`` holds the text upstream extracts as the report's conclusion: the last
    impression, else findings, else last_paragraph, else comparison (``""`` if none). When
    ``study_id`` is given, upstream's hand-curated rules for the ~50 badly formatted MIMIC-CXR
    reports apply to it.
    """
    sections, section_names, _ = section_text(text)
    parsed: dict[str, str] = dict.fromkeys(REPORT_KEYS, "")
    for name in dict.fromkeys(section_names):
        parsed[name] = sections[_last_index(section_names, name)].strip()
    parsed["full_text"] = text

    key = _study_key(study_id)
    if key in CUSTOM_INDICES:
        start, end = CUSTOM_INDICES[key]
        # Upstream does not strip the hand-cut span.
        parsed["main_section"] = text[start:end]
        return parsed
    if key in CUSTOM_SECTION_NAMES and CUSTOM_SECTION_NAMES[key] in section_names:
        parsed["main_section"] = parsed[CUSTOM_SECTION_NAMES[key]]
        return parsed

    # Presence, not emptiness, decides (a present but blank last_paragraph wins over comparison).
    main = next((name for name in MAIN_SECTION_PRIORITY if name in section_names), None)
    parsed["main_section"] = parsed[main] if main is not None else ""
    return parsed


def extract_main_section(parsed: dict[str, str]) -> str:
    """The report's conclusion: impression, else findings, else last_paragraph, else comparison.

    Uses ``parsed["main_section"]`` when :func:`parse_report` computed it (this follows upstream
    exactly, including its custom per-study rules); otherwise, e.g. for a row of the reports table,
    returns the first non-empty section in that priority order, or ``""``.
    """
    if "main_section" in parsed:
        return parsed["main_section"]
    for name in MAIN_SECTION_PRIORITY:
        value = parsed.get(name) or ""
        if value:
            return value
    return ""
