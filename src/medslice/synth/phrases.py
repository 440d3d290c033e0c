"""Sentences a radiologist writes about each finding and device, each tagged with the labels it mentions.

Every sentence carries its CheXpert mentions: ``1.0`` (positive), ``0.0`` (negated) or ``-1.0`` (hedged).
Labels are later aggregated from the sentences of the report section that MIMIC extracts labels from, so
the labels follow from the text by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from medslice.errors import BadValueError

POSITIVE, NEGATIVE, UNCERTAIN = 1.0, 0.0, -1.0

# MIMIC label of each finding / of every device.
LABEL_OF: dict[str, str] = {
    "atelectasis": "Atelectasis",
    "cardiomegaly": "Cardiomegaly",
    "consolidation": "Consolidation",
    "edema": "Edema",
    "enlarged_cardiomediastinum": "Enlarged Cardiomediastinum",
    "fracture": "Fracture",
    "lung_lesion": "Lung Lesion",
    "lung_opacity": "Lung Opacity",
    "pleural_effusion": "Pleural Effusion",
    "pleural_other": "Pleural Other",
    "pneumonia": "Pneumonia",
    "pneumothorax": "Pneumothorax",
}
DEVICES_LABEL = "Support Devices"

ZONE_WORDS: dict[str, str] = {
    "right_upper": "right upper lobe",
    "right_middle": "right middle lobe",
    "right_lower": "right lower lobe",
    "left_upper": "left upper lobe",
    "lingula": "lingula",
    "left_lower": "left lower lobe",
}
ZONE_REGION: dict[str, str] = {
    "right_upper": "right upper lung",
    "right_middle": "right mid lung",
    "right_lower": "right lung base",
    "left_upper": "left upper lung",
    "lingula": "left mid lung",
    "left_lower": "left lung base",
}
SIZE_WORDS: dict[str, str] = {"mild": "small", "moderate": "moderate", "severe": "large"}
DEGREE_WORDS: dict[str, str] = {"mild": "mild", "moderate": "moderate", "severe": "severe"}
ADVERB_WORDS: dict[str, str] = {"mild": "mildly", "moderate": "moderately", "severe": "markedly"}
ORDINALS: dict[int, str] = {
    3: "third",
    4: "fourth",
    5: "fifth",
    6: "sixth",
    7: "seventh",
    8: "eighth",
    9: "ninth",
    10: "tenth",
}
CENTRAL_LINE_WORDS: dict[str, tuple[str, str]] = {
    # (long form, short form)
    "right_ij": ("right internal jugular central venous catheter", "right IJ line"),
    "left_ij": ("left internal jugular central venous catheter", "left IJ line"),
    "right_subclavian": ("right subclavian central venous catheter", "right subclavian line"),
    "left_subclavian": ("left subclavian central venous catheter", "left subclavian line"),
    "right_picc": ("right-sided PICC line", "right PICC"),
    "left_picc": ("left-sided PICC line", "left PICC"),
}
TIP_WORDS = ("the mid SVC", "the low SVC", "the cavoatrial junction", "the upper SVC")

# Nouns used in combined negations ("No focal consolidation, pleural effusion or pneumothorax.").
NEGATION_NOUNS: dict[str, str] = {
    "consolidation": "focal consolidation",
    "pleural_effusion": "pleural effusion",
    "pneumothorax": "pneumothorax",
    "edema": "pulmonary edema",
    "pneumonia": "pneumonia",
}
NORMAL_IMPRESSIONS = (
    "No acute cardiopulmonary process.",
    "No acute cardiopulmonary process.",
    "No acute intrathoracic process.",
    "No acute cardiopulmonary abnormality.",
    "No evidence of acute cardiopulmonary disease.",
    "Normal chest radiograph.",
)


@dataclass(frozen=True)
class Sentence:
    """One sentence and the labels it mentions, as ``(MIMIC label, 1.0 | 0.0 | -1.0)`` pairs."""

    text: str
    mentions: tuple[tuple[str, float], ...] = ()


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _side_adjective(side: str) -> str:
    return {"right": "right", "left": "left", "bilateral": "bilateral"}[side]


def _pick(rng: np.random.Generator, options: tuple[str, ...] | list[str]) -> str:
    return options[int(rng.integers(len(options)))]


def positive_sentence(
    rng: np.random.Generator, finding: str, study: Mapping[str, Any], *, short: bool, hedged: bool
) -> Sentence:
    """A sentence describing a present finding (``hedged``: uncertain wording, labelled -1)."""
    label = LABEL_OF[finding]
    value = UNCERTAIN if hedged else POSITIVE
    severity = study.get(f"{finding}_severity") or "mild"
    text = (
        _hedged_text(rng, finding, study, short)
        if hedged
        else _positive_text(rng, finding, study, severity, short)
    )
    return Sentence(text, ((label, value),))


def _positive_text(
    rng: np.random.Generator, finding: str, study: Mapping[str, Any], severity: str, short: bool
) -> str:
    size, degree, adverb = SIZE_WORDS[severity], DEGREE_WORDS[severity], ADVERB_WORDS[severity]
    if finding == "pleural_effusion":
        side = study["pleural_effusion_side"]
        effusion = "pleural effusions" if side == "bilateral" else "pleural effusion"
        if short:
            return _cap(f"{size} {_side_adjective(side)} {effusion}.")
        if side == "bilateral":
            options = [
                f"There are {size} bilateral pleural effusions.",
                f"{_cap(size)} bilateral pleural effusions are present.",
            ]
        else:
            options = [
                f"There is a {size} {side} pleural effusion.",
                f"Blunting of the {side} costophrenic angle is consistent with a {size} pleural effusion.",
                f"{_cap(size)} {side} pleural effusion is noted.",
            ]
        if study.get("orientation") == "recumbent":
            options.append(
                f"{_cap(size)} layering {side if side != 'bilateral' else 'bilateral'} {effusion}."
            )
        return _pick(rng, options)
    if finding == "pneumothorax":
        side = study["pneumothorax_side"]
        if short:
            return _pick(
                rng, [f"{_cap(size)} {side} pneumothorax.", f"{_cap(size)} {side}-sided pneumothorax."]
            )
        options = [
            f"There is a {size} {side} apical pneumothorax.",
            f"A {size} {side} pneumothorax is seen with a visible pleural line.",
            f"{_cap(size)} {side}-sided pneumothorax.",
        ]
        if study.get("chest_tube") and study.get("chest_tube_side") == side:
            options.append(f"{_cap(size)} residual {side} pneumothorax despite the chest tube.")
        return _pick(rng, options)
    if finding == "cardiomegaly":
        if short:
            return _pick(rng, [f"{_cap(degree)} cardiomegaly.", "Cardiomegaly."])
        return _pick(
            rng,
            [
                f"The heart is {adverb} enlarged.",
                f"Heart size is {adverb} enlarged.",
                f"There is {degree} cardiomegaly.",
                f"{_cap(degree)} enlargement of the cardiac silhouette is compatible with cardiomegaly.",
            ],
        )
    if finding == "enlarged_cardiomediastinum":
        if short:
            return _pick(rng, ["Widened mediastinum.", "Enlarged cardiomediastinal silhouette."])
        return _pick(
            rng,
            [
                "The mediastinum is widened.",
                "The cardiomediastinal silhouette is enlarged.",
                "There is widening of the superior mediastinum.",
            ],
        )
    if finding == "edema":
        if short:
            return _cap(f"{degree} pulmonary edema.")
        return _pick(
            rng,
            [
                f"There is {degree} pulmonary edema with perihilar haziness.",
                f"Findings are consistent with {degree} pulmonary edema.",
                f"{_cap(degree)} interstitial pulmonary edema.",
                f"Perihilar haziness and vascular indistinctness reflect {degree} pulmonary edema.",
            ],
        )
    if finding in ("consolidation", "pneumonia", "lung_opacity"):
        zone = study[f"{finding}_zone"]
        lobe, region = ZONE_WORDS[zone], ZONE_REGION[zone]
        if finding == "consolidation":
            options = [f"Focal consolidation in the {lobe}.", f"There is dense consolidation in the {lobe}."]
            if short:
                options = [f"{_cap(lobe)} consolidation.", f"Consolidation in the {lobe}."]
        elif finding == "pneumonia":
            options = [f"Findings are consistent with {lobe} pneumonia.", f"There is a {lobe} pneumonia."]
            if short:
                options = [f"{_cap(lobe)} pneumonia.", f"Pneumonia in the {lobe}."]
        else:
            options = [
                f"Patchy opacity in the {region}.",
                f"There is an ill-defined opacity in the {region}.",
            ]
            if short:
                options = [f"Patchy {region} opacity.", f"Opacity in the {region}."]
        return _pick(rng, options)
    if finding == "atelectasis":
        side = study["atelectasis_side"]
        if side == "bilateral":
            options = ["Bibasilar atelectasis.", "There is bibasilar plate-like atelectasis."]
        else:
            options = [
                f"Linear atelectasis at the {side} lung base.",
                f"Plate-like atelectasis in the {side} lower lung.",
                f"{_cap(degree)} {side} basilar atelectasis.",
            ]
        return _pick(rng, options[:1] if short else options)
    if finding == "lung_lesion":
        lobe = ZONE_WORDS[study["lung_lesion_zone"]]
        mm = int(study.get("lung_lesion_size_mm") or 10)
        noun = "mass" if mm >= 30 else "nodule"
        if short:
            return f"{_cap(lobe)} {noun}; chest CT is recommended for further evaluation."
        return _pick(
            rng,
            [
                f"A {mm} mm {noun} is seen in the {lobe}.",
                f"There is a {mm / 10:.1f} cm {noun} in the {lobe}.",
            ],
        )
    if finding == "fracture":
        side = study["fracture_side"]
        rib = ORDINALS[int(study["fracture_rib"])]
        displaced = {"mild": "nondisplaced", "moderate": "minimally displaced", "severe": "displaced"}[
            severity
        ]
        if short:
            return f"{_cap(displaced)} {side} {rib} rib fracture."
        return _pick(
            rng,
            [
                f"Acute {displaced} fracture of the {side} {rib} rib.",
                f"There is a {displaced} {side} {rib} rib fracture.",
            ],
        )
    if finding == "pleural_other":
        side = study["pleural_other_side"]
        if short:
            return f"{_cap(side)} pleural thickening."
        return _pick(
            rng,
            [
                f"{_cap(side)} apical pleural thickening.",
                f"Pleural thickening along the {side} lateral chest wall.",
            ],
        )
    raise BadValueError(f"finding: unknown finding {finding!r}")


def _hedged_text(rng: np.random.Generator, finding: str, study: Mapping[str, Any], short: bool) -> str:
    side = {
        "pleural_effusion": study.get("pleural_effusion_side"),
        "pneumothorax": study.get("pneumothorax_side"),
        "atelectasis": study.get("atelectasis_side"),
        "fracture": study.get("fracture_side"),
        "pleural_other": study.get("pleural_other_side"),
    }.get(finding) or ""
    zone = study.get(f"{finding}_zone") or study.get("lung_lesion_zone") or ""
    lobe = ZONE_WORDS.get(zone, "")
    region = ZONE_REGION.get(zone, "")
    where = {"bilateral": "bilateral", "right": "right", "left": "left"}.get(side, "")
    rib = ORDINALS.get(int(study.get("fracture_rib") or 6), "sixth")
    options: dict[str, list[str]] = {
        "pleural_effusion": [
            f"Cannot exclude a small {where} pleural effusion.",
            f"Possible trace {where} pleural effusion.",
        ],
        "pneumothorax": [
            f"Possible tiny {where} apical pneumothorax.",
            f"A small {where} apical pneumothorax cannot be excluded.",
        ],
        "cardiomegaly": ["The heart size is borderline enlarged.", "Possible mild cardiomegaly."],
        "enlarged_cardiomediastinum": [
            "The mediastinum may be slightly widened, possibly due to technique.",
            "Possible mild widening of the mediastinum.",
        ],
        "edema": [
            "Possible mild pulmonary edema.",
            "Mild perihilar haziness may reflect early pulmonary edema.",
        ],
        "consolidation": [
            f"Possible consolidation in the {lobe}.",
            f"Early consolidation in the {lobe} is not excluded.",
        ],
        "pneumonia": [
            f"Possible early pneumonia in the {lobe}.",
            f"Early pneumonia in the {lobe} cannot be excluded.",
        ],
        "lung_opacity": [
            f"Possible subtle opacity in the {region}.",
            f"Questionable opacity in the {region}.",
        ],
        "atelectasis": [
            f"Probable minimal {where if where != 'bilateral' else 'bibasilar'} atelectasis.",
            "Possible subsegmental atelectasis.",
        ],
        "lung_lesion": [
            f"Possible small nodule in the {lobe}, which may represent a nipple shadow.",
            f"Questionable nodule in the {lobe}.",
        ],
        "fracture": [
            f"Possible nondisplaced fracture of the {where} {rib} rib.",
            f"Cannot exclude a subtle {where} rib fracture.",
        ],
        "pleural_other": [
            f"Possible {where} pleural thickening.",
            f"Questionable {where} apical pleural thickening.",
        ],
    }
    text = _pick(rng, options[finding][:1] if short else options[finding])
    return " ".join(text.split())  # drop double spaces left by an empty side word


def negation_sentence(rng: np.random.Generator, findings: list[str]) -> Sentence:
    """One sentence negating one to three absent findings, e.g. "No pleural effusion or pneumothorax."."""
    nouns = [NEGATION_NOUNS[f] for f in findings]
    if len(nouns) == 1:
        listed = nouns[0]
    elif len(nouns) == 2:
        listed = f"{nouns[0]} or {nouns[1]}"
    else:
        listed = ", ".join(nouns[:-1]) + f"{_pick(rng, [',', ''])} or {nouns[-1]}"
    text = _pick(
        rng,
        [f"No {listed}.", f"There is no {listed}.", f"No evidence of {listed}.", f"No {listed} is seen."],
    )
    return Sentence(text, tuple((LABEL_OF[f], NEGATIVE) for f in findings))


def normal_heart_sentence(rng: np.random.Generator, *, heart: bool, mediastinum: bool) -> Sentence:
    """Normal heart size and/or mediastinal contours (negating Cardiomegaly / Enlarged Cardiomediastinum)."""
    if heart and mediastinum:
        return Sentence(
            _pick(
                rng,
                [
                    "The heart size and cardiomediastinal contours are normal.",
                    "Heart size is normal and the mediastinal contours are unremarkable.",
                ],
            ),
            (("Cardiomegaly", NEGATIVE), ("Enlarged Cardiomediastinum", NEGATIVE)),
        )
    if heart:
        return Sentence(
            _pick(rng, ["Heart size is normal.", "The heart is normal in size."]),
            (("Cardiomegaly", NEGATIVE),),
        )
    return Sentence(
        _pick(
            rng,
            [
                "The mediastinal contours are normal.",
                "The cardiomediastinal silhouette is within normal limits.",
            ],
        ),
        (("Enlarged Cardiomediastinum", NEGATIVE),),
    )


def device_sentences(rng: np.random.Generator, study: Mapping[str, Any], *, short: bool) -> list[Sentence]:
    """One sentence per support device, as radiologists describe position and course."""
    mention = ((DEVICES_LABEL, POSITIVE),)
    out: list[Sentence] = []
    if study.get("endotracheal_tube"):
        cm = float(study.get("ett_tip_cm") or 4.0)
        distance = f"{cm:g} cm"
        if short:
            text = _pick(
                rng, ["Endotracheal tube in standard position.", f"ET tube tip {distance} above the carina."]
            )
        else:
            text = _pick(
                rng,
                [
                    f"Endotracheal tube terminates {distance} above the carina.",
                    f"The endotracheal tube tip is {distance} above the carina.",
                    f"ET tube in standard position, {distance} above the carina.",
                ],
            )
        out.append(Sentence(text, mention))
    if study.get("chest_tube"):
        side = study.get("chest_tube_side") or "right"
        if short:
            text = _pick(
                rng, [f"{_cap(side)} chest tube in place.", f"{_cap(side)}-sided chest tube unchanged."]
            )
        else:
            text = _pick(
                rng,
                [
                    f"{_cap(side)}-sided chest tube in place.",
                    f"A {side} chest tube is present with its tip at the apex.",
                    f"{_cap(side)} chest tube terminates in the {side} apex.",
                ],
            )
        out.append(Sentence(text, mention))
    if study.get("central_line"):
        long_form, short_form = CENTRAL_LINE_WORDS[study.get("central_line_type") or "right_ij"]
        tip = _pick(rng, TIP_WORDS)
        if short:
            text = _pick(
                rng, [f"{_cap(short_form)} tip in {tip}.", f"{_cap(short_form)} in standard position."]
            )
        else:
            text = _pick(
                rng, [f"{_cap(long_form)} terminates in {tip}.", f"{_cap(long_form)} with tip in {tip}."]
            )
        out.append(Sentence(text, mention))
    if study.get("pacemaker"):
        leads = int(study.get("pacemaker_leads") or 1)
        if short:
            text = (
                "Pacemaker leads in standard position."
                if leads > 1
                else "Pacemaker lead in standard position."
            )
        elif leads > 1:
            text = _pick(
                rng,
                [
                    "Left-sided pacemaker with leads in the right atrium and right ventricle.",
                    "Dual-chamber left chest wall pacemaker device with leads in standard position.",
                ],
            )
        else:
            text = "Left chest wall pacemaker with a single lead terminating in the right ventricle."
        out.append(Sentence(text, mention))
    return out
