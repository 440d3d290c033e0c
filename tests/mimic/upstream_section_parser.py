# ruff: noqa: SIM102, SIM108
# The oracle keeps upstream's control flow on purpose, so the simplification rules are off here.
"""Verbatim copy of upstream's sectioner, used only as the oracle that our port must match.

Source: https://github.com/MIT-LCP/mimic-cxr, ``txt/section_parser.py`` (functions ``section_text``
and ``normalize_section_names``), Copyright (c) 2019 MIT Laboratory for Computational Physiology,
MIT licence. Only formatting and names were changed for the linter; the logic is untouched.
"""

from __future__ import annotations

import re


def section_text(text):
    """Upstream ``section_text``."""
    p_section = re.compile(r"\n ([A-Z ()/,-]+):\s", re.DOTALL)

    sections = list()
    section_names = list()
    section_idx = list()

    idx = 0
    s = p_section.search(text, idx)

    if s:
        sections.append(text[0 : s.start(1)])
        section_names.append("preamble")
        section_idx.append(0)

        while s:
            current_section = s.group(1).lower()
            # get the start of the text for this section
            idx_start = s.end()
            # skip past the first newline to avoid some bad parses
            idx_skip = text[idx_start:].find("\n")
            if idx_skip == -1:
                idx_skip = 0

            s = p_section.search(text, idx_start + idx_skip)

            if s is None:
                idx_end = len(text)
            else:
                idx_end = s.start()

            sections.append(text[idx_start:idx_end])
            section_names.append(current_section)
            section_idx.append(idx_start)

    else:
        sections.append(text)
        section_names.append("full report")
        section_idx.append(0)

    section_names = normalize_section_names(section_names)

    for i in reversed(range(len(section_names))):
        if section_names[i] in ("impression", "findings"):
            if sections[i].strip() == "":
                sections.pop(i)
                section_names.pop(i)
                section_idx.pop(i)

    if ("impression" not in section_names) & ("findings" not in section_names):
        # create a new section for the final paragraph
        if "\n \n" in sections[-1]:
            sections.append("\n \n".join(sections[-1].split("\n \n")[1:]))
            sections[-2] = sections[-2].split("\n \n")[0]
            section_names.append("last_paragraph")
            section_idx.append(section_idx[-1] + len(sections[-2]))

    return sections, section_names, section_idx


def normalize_section_names(section_names):
    """Upstream ``normalize_section_names``."""
    section_names = [s.lower().strip() for s in section_names]

    frequent_sections = {
        "preamble": "preamble",
        "impression": "impression",
        "comparison": "comparison",
        "indication": "indication",
        "findings": "findings",
        "examination": "examination",
        "technique": "technique",
        "history": "history",
        "comparisons": "comparison",
        "clinical history": "history",
        "reason for examination": "indication",
        "notification": "notification",
        "reason for exam": "indication",
        "clinical information": "history",
        "exam": "examination",
        "clinical indication": "indication",
        "conclusion": "impression",
        "chest, two views": "findings",
        "recommendation(s)": "recommendations",
        "type of examination": "examination",
        "reference exam": "comparison",
        "patient history": "history",
        "addendum": "addendum",
        "comparison exam": "comparison",
        "date": "date",
        "comment": "comment",
        "findings and impression": "impression",
        "wet read": "wet read",
        "comparison film": "comparison",
        "recommendations": "recommendations",
        "findings/impression": "impression",
        "pfi": "history",
        "recommendation": "recommendations",
        "wetread": "wet read",
        "ndication": "impression",
        "impresson": "impression",
        "imprression": "impression",
        "imoression": "impression",
        "impressoin": "impression",
        "imprssion": "impression",
        "impresion": "impression",
        "imperssion": "impression",
        "mpression": "impression",
        "impession": "impression",
        "findings/ impression": "impression",
        "finding": "findings",
        "findins": "findings",
        "findindgs": "findings",
        "findgings": "findings",
        "findngs": "findings",
        "findnings": "findings",
        "finidngs": "findings",
        "idication": "indication",
        "reference findings": "findings",
        "comparision": "comparison",
        "comparsion": "comparison",
        "comparrison": "comparison",
        "comparisions": "comparison",
    }

    p_findings = [
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
    p_findings = re.compile("({})".format("|".join(p_findings)))

    main_sections = ["impression", "findings", "history", "comparison", "addendum"]
    for i, s in enumerate(section_names):
        if s in frequent_sections:
            section_names[i] = frequent_sections[s]
            continue

        main_flag = False
        for m in main_sections:
            if m in s:
                section_names[i] = m
                main_flag = True
                break
        if main_flag:
            continue

        m = p_findings.search(s)
        if m is not None:
            section_names[i] = "findings"

    return section_names
