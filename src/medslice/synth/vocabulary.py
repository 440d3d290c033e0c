"""Categorical values as they appear in MIMIC-CXR-JPG metadata and MIMIC-IV hosp, with plausible shares."""

from __future__ import annotations

# PerformedProcedureStepDescription of studies acquired in the radiology room (PA + lateral).
ROOM_PROCEDURES: dict[str, float] = {
    "CHEST (PA AND LAT)": 0.90,
    "CHEST (PRE-OP PA AND LAT)": 0.07,
    "CHEST (PA AND LAT) CLIP": 0.03,
}
SINGLE_VIEW_PROCEDURE = "CHEST (SINGLE VIEW)"
RIB_PROCEDURE = "RIB BILAT, W/AP CHEST"
# ... and of bedside studies (portable AP).
PORTABLE_PROCEDURE = "CHEST (PORTABLE AP)"
LINE_PROCEDURE = "CHEST PORT. LINE PLACEMENT"
TRAUMA_PROCEDURE = "TRAUMA #2 (AP CXR AND PELVIS PORT)"
# ProcedureCodeSequence_CodeMeaning usually repeats the description; sometimes it holds the ordered code.
PROCEDURE_CODE_ALTERNATIVES: dict[str, str] = {
    "CHEST (PA AND LAT)": "CHEST (PA AND LAT)",
    "CHEST (PRE-OP PA AND LAT)": "CHEST (PA AND LAT)",
    "CHEST (PA AND LAT) CLIP": "CHEST (PA AND LAT)",
    SINGLE_VIEW_PROCEDURE: "CHEST (PA AND LAT)",
    RIB_PROCEDURE: "RIB UNILAT, W/ AP CHEST RIGHT",
    PORTABLE_PROCEDURE: "CHEST PORT. LINE PLACEMENT",
    LINE_PROCEDURE: PORTABLE_PROCEDURE,
    TRAUMA_PROCEDURE: PORTABLE_PROCEDURE,
}

VIEW_CODE_MEANING: dict[str, str] = {
    "PA": "postero-anterior",
    "AP": "antero-posterior",
    "LATERAL": "lateral",
    "LL": "left lateral",
    "AP AXIAL": "antero-posterior",
    "PA LLD": "postero-anterior",
    "AP LLD": "antero-posterior",
    "AP RLD": "antero-posterior",
    "PA RLD": "postero-anterior",
    "LAO": "left anterior oblique",
    "RAO": "right anterior oblique",
    "LPO": "left posterior oblique",
    "XTABLE LATERAL": "lateral",
    "SWIMMERS": "lateral",
}
RARE_FRONTAL_VIEWS: tuple[str, ...] = (
    "AP AXIAL",
    "LAO",
    "RAO",
    "LPO",
    "PA LLD",
    "AP LLD",
    "AP RLD",
    "PA RLD",
)
RARE_LATERAL_VIEWS: tuple[str, ...] = ("XTABLE LATERAL", "SWIMMERS")

# Detectors as (rows, columns) at full resolution, with their share of images.
ROOM_DETECTORS: dict[tuple[int, int], float] = {(3056, 2544): 0.76, (3050, 2539): 0.19, (2544, 3056): 0.05}
PORTABLE_DETECTORS: dict[tuple[int, int], float] = {
    (3056, 2544): 0.40,
    (2500, 2048): 0.48,
    (2544, 3056): 0.12,
}

RACES: dict[str, float] = {
    "WHITE": 0.58,
    "BLACK/AFRICAN AMERICAN": 0.15,
    "HISPANIC/LATINO - PUERTO RICAN": 0.03,
    "HISPANIC OR LATINO": 0.02,
    "HISPANIC/LATINO - DOMINICAN": 0.02,
    "ASIAN - CHINESE": 0.02,
    "ASIAN": 0.02,
    "WHITE - OTHER EUROPEAN": 0.02,
    "WHITE - RUSSIAN": 0.01,
    "BLACK/CAPE VERDEAN": 0.01,
    "OTHER": 0.04,
    "UNKNOWN": 0.05,
    "UNABLE TO OBTAIN": 0.01,
    "PATIENT DECLINED TO ANSWER": 0.01,
    "ASIAN - SOUTH EAST ASIAN": 0.01,
}
ADMISSION_TYPES: dict[str, float] = {
    "EW EMER.": 0.42,
    "EU OBSERVATION": 0.12,
    "OBSERVATION ADMIT": 0.10,
    "URGENT": 0.09,
    "SURGICAL SAME DAY ADMISSION": 0.08,
    "DIRECT EMER.": 0.07,
    "ELECTIVE": 0.06,
    "DIRECT OBSERVATION": 0.04,
    "AMBULATORY OBSERVATION": 0.02,
}
ADMISSION_LOCATIONS: dict[str, float] = {
    "EMERGENCY ROOM": 0.50,
    "PHYSICIAN REFERRAL": 0.20,
    "TRANSFER FROM HOSPITAL": 0.10,
    "WALK-IN/SELF REFERRAL": 0.08,
    "CLINIC REFERRAL": 0.05,
    "PROCEDURE SITE": 0.04,
    "TRANSFER FROM SKILLED NURSING FACILITY": 0.03,
}
DISCHARGE_LOCATIONS: dict[str, float] = {
    "HOME": 0.40,
    "HOME HEALTH CARE": 0.20,
    "SKILLED NURSING FACILITY": 0.14,
    "REHAB": 0.05,
    "CHRONIC/LONG TERM ACUTE CARE": 0.03,
    "HOSPICE": 0.02,
    "AGAINST ADVICE": 0.01,
    "": 0.15,  # missing, e.g. observation stays
}
MARITAL_STATUSES: dict[str, float] = {
    "MARRIED": 0.42,
    "SINGLE": 0.32,
    "WIDOWED": 0.12,
    "DIVORCED": 0.08,
    "": 0.06,
}
LANGUAGES: dict[str, float] = {"ENGLISH": 0.9, "?": 0.1}
ANCHOR_YEAR_GROUPS: tuple[str, ...] = (
    "2008 - 2010",
    "2011 - 2013",
    "2014 - 2016",
    "2017 - 2019",
    "2020 - 2022",
)
