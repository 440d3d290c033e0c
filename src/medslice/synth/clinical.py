"""The clinical picture of each study: findings with their severity and location, and support devices.

Findings are drawn per study with plausible correlations: bedside (portable AP) patients are sicker,
edema goes with cardiomegaly, effusions with both, pneumothorax with chest tubes and trauma. Each finding's
overall rate stays close to its configured prevalence because every risk multiplier is normalised to mean 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.synth.config import FINDINGS, SyntheticConfig
from medslice.synth.render.spec import SEVERITIES, ZONES

# Relative risk of each finding in a bedside (portable AP) study compared with a PA study.
PORTABLE_RISK: dict[str, float] = {
    "atelectasis": 2.5,
    "cardiomegaly": 1.8,
    "consolidation": 2.5,
    "edema": 3.0,
    "enlarged_cardiomediastinum": 1.8,
    "fracture": 1.3,
    "lung_lesion": 0.8,
    "lung_opacity": 2.2,
    "pleural_effusion": 2.6,
    "pleural_other": 0.7,
    "pneumonia": 2.0,
    "pneumothorax": 1.5,
}
SEVERITY_SHARES = (0.5, 0.35, 0.15)
# Opacities favour the lower lobes.
OPACITY_ZONE_SHARES = (0.12, 0.12, 0.28, 0.10, 0.10, 0.28)
ORDINAL_RIBS = range(3, 11)
CENTRAL_LINE_TYPES: dict[str, float] = {
    "right_ij": 0.45,
    "left_ij": 0.08,
    "right_subclavian": 0.10,
    "left_subclavian": 0.12,
    "right_picc": 0.15,
    "left_picc": 0.10,
}
# Findings a noisy report may claim although the image does not show them.
SPURIOUS_CANDIDATES = (
    "atelectasis",
    "lung_opacity",
    "pleural_effusion",
    "pneumonia",
    "cardiomegaly",
    "edema",
)


def _normalised(multiplier: np.ndarray) -> np.ndarray:
    """Scale a risk multiplier to mean 1 so that the overall prevalence is preserved."""
    mean = float(multiplier.mean())
    return multiplier / mean if mean > 0 else multiplier


def _draw(rng: np.random.Generator, base: float, multiplier: np.ndarray) -> np.ndarray:
    """Bernoulli draws with probabilities ``base * multiplier`` (normalised), capped at 0.95."""
    p = np.clip(base * _normalised(multiplier), 0.0, 0.95)
    return rng.random(len(p)) < p


def sample_findings(rng: np.random.Generator, studies: pd.DataFrame, config: SyntheticConfig) -> pd.DataFrame:
    """Add one boolean column per finding and per device, plus severities, sides, zones and sizes.

    ``studies`` needs ``portable`` (bool), ``age`` and ``orientation``; the returned frame adds, for each
    finding, ``<finding>`` (bool) and ``<finding>_severity`` (empty when absent), and the attributes the
    renderer and the report writer need.
    """
    n = len(studies)
    prevalence = config.prevalence
    portable = studies["portable"].to_numpy(dtype=bool)
    age = studies["age"].to_numpy(dtype=np.float64)
    older = np.clip(1.0 + 0.025 * (age - 60.0), 0.3, 2.5)
    out = studies.copy()
    present: dict[str, np.ndarray] = {}

    def setting(finding: str) -> np.ndarray:
        return np.where(portable, PORTABLE_RISK[finding], 1.0)

    # Order matters: later findings depend on earlier ones.
    present["cardiomegaly"] = _draw(rng, prevalence["cardiomegaly"], setting("cardiomegaly") * older)
    present["edema"] = _draw(
        rng, prevalence["edema"], setting("edema") * np.where(present["cardiomegaly"], 3.0, 0.6)
    )
    heart_failure = present["cardiomegaly"] | present["edema"]
    present["pleural_effusion"] = _draw(
        rng, prevalence["pleural_effusion"], setting("pleural_effusion") * np.where(heart_failure, 2.5, 0.7)
    )
    present["pneumonia"] = _draw(rng, prevalence["pneumonia"], setting("pneumonia") * older**0.5)
    present["consolidation"] = _draw(
        rng, prevalence["consolidation"], setting("consolidation") * np.where(present["pneumonia"], 3.0, 0.8)
    )
    present["lung_opacity"] = _draw(rng, prevalence["lung_opacity"], setting("lung_opacity"))
    present["atelectasis"] = _draw(
        rng,
        prevalence["atelectasis"],
        setting("atelectasis") * np.where(present["pleural_effusion"], 1.8, 0.9),
    )
    present["fracture"] = _draw(rng, prevalence["fracture"], setting("fracture"))
    present["pneumothorax"] = _draw(
        rng, prevalence["pneumothorax"], setting("pneumothorax") * np.where(present["fracture"], 4.0, 1.0)
    )
    present["lung_lesion"] = _draw(rng, prevalence["lung_lesion"], setting("lung_lesion") * older)
    present["pleural_other"] = _draw(rng, prevalence["pleural_other"], setting("pleural_other") * older)
    present["enlarged_cardiomediastinum"] = _draw(
        rng,
        prevalence["enlarged_cardiomediastinum"],
        setting("enlarged_cardiomediastinum") * np.where(present["cardiomegaly"], 1.5, 0.9),
    )

    for finding in FINDINGS:
        out[finding] = present[finding]
        severity = rng.choice(np.array(SEVERITIES, dtype=object), size=n, p=SEVERITY_SHARES)
        out[f"{finding}_severity"] = np.where(present[finding], severity, "").astype(object)

    _add_locations(rng, out, present)
    _add_devices(rng, out, config)
    return out


def _side(rng: np.random.Generator, n: int, bilateral_share: float | np.ndarray = 0.0) -> np.ndarray:
    """Random sides: ``bilateral`` with the given share, otherwise right or left equally."""
    sides = np.where(rng.random(n) < 0.5, "right", "left").astype(object)
    return np.where(rng.random(n) < bilateral_share, "bilateral", sides).astype(object)


def _add_locations(rng: np.random.Generator, out: pd.DataFrame, present: dict[str, np.ndarray]) -> None:
    """Sides, zones, sizes and the continuous anatomy measures (cardiothoracic ratio, mediastinum)."""
    n = len(out)
    zones = np.array(ZONES, dtype=object)

    def only(finding: str, values: np.ndarray) -> np.ndarray:
        return np.where(present[finding], values, "").astype(object)

    out["pleural_effusion_side"] = only(
        "pleural_effusion", _side(rng, n, np.where(present["edema"], 0.6, 0.3))
    )
    out["pneumothorax_side"] = only("pneumothorax", _side(rng, n))
    out["atelectasis_side"] = only("atelectasis", _side(rng, n, 0.4))
    out["pleural_other_side"] = only("pleural_other", _side(rng, n))
    out["fracture_side"] = only("fracture", _side(rng, n))
    out["fracture_rib"] = np.where(present["fracture"], rng.choice(np.array(ORDINAL_RIBS), size=n), 0)
    for finding in ("consolidation", "pneumonia", "lung_opacity"):
        out[f"{finding}_zone"] = only(finding, rng.choice(zones, size=n, p=OPACITY_ZONE_SHARES))
    out["lung_lesion_zone"] = only("lung_lesion", rng.choice(zones, size=n))
    size_mm = {"mild": (6, 12), "moderate": (12, 22), "severe": (22, 40)}
    lesion_mm = np.zeros(n)
    for severity, (low, high) in size_mm.items():
        chosen = out["lung_lesion_severity"].to_numpy() == severity
        lesion_mm[chosen] = np.round(rng.uniform(low, high, size=int(chosen.sum())))
    out["lung_lesion_size_mm"] = lesion_mm

    # Cardiothoracic ratio: normal 0.38-0.48 (larger with age), enlarged above 0.5 by severity.
    age = out["age"].to_numpy(dtype=np.float64)
    normal = np.clip(rng.normal(0.43, 0.025, n) + 0.0004 * (age - 55), 0.37, 0.48)
    ranges = {"mild": (0.52, 0.56), "moderate": (0.56, 0.62), "severe": (0.62, 0.70)}
    ratio = normal
    for severity, (low, high) in ranges.items():
        chosen = out["cardiomegaly_severity"].to_numpy() == severity
        ratio = np.where(chosen, rng.uniform(low, high, n), ratio)
    out["cardiothoracic_ratio"] = np.round(ratio, 3)
    width = np.clip(rng.normal(1.0, 0.06, n), 0.85, 1.15)
    widths = {"mild": 1.45, "moderate": 1.65, "severe": 1.9}
    for severity, value in widths.items():
        chosen = out["enlarged_cardiomediastinum_severity"].to_numpy() == severity
        width = np.where(chosen, value + rng.normal(0.0, 0.05, n), width)
    out["mediastinal_width"] = np.round(width, 3)


def _add_devices(rng: np.random.Generator, out: pd.DataFrame, config: SyntheticConfig) -> None:
    """Support devices: chest tubes with pneumothorax, lines and tubes at the bedside, pacemakers for the
    old."""
    n = len(out)
    portable = out["portable"].to_numpy(dtype=bool)
    pneumothorax = out["pneumothorax"].to_numpy(dtype=bool)
    age = out["age"].to_numpy(dtype=np.float64)
    base = config.prevalence["support_devices"]
    has_devices = _draw(rng, base, np.where(portable, 4.0, 0.35))
    # Pneumothorax patients are sicker: many already carry the bedside kind of lines and tubes, even
    # when imaged in the department.
    sick = pneumothorax & ~has_devices & (rng.random(n) < 0.5)
    has_devices |= sick
    bedside = portable | sick

    # Only some pneumothoraces are drained (many are imaged before a tube goes in, or are small), and
    # post-operative drains (cardiac and thoracic surgery fill an ICU) and tubes left in after the lung
    # re-expanded make chest tubes common without pneumothorax, as in MIMIC. Otherwise the tube alone
    # would mark pneumothorax, and a support-device shortcut would shrink to that one device type.
    chest_tube_for_ptx = pneumothorax & (rng.random(n) < 0.2)
    chest_tube_other = has_devices & (rng.random(n) < np.where(bedside, 0.30, 0.04))
    chest_tube = chest_tube_for_ptx | chest_tube_other
    effusion_side = out["pleural_effusion_side"].to_numpy()
    other_side = np.where(np.isin(effusion_side, ("right", "left")), effusion_side, _side(rng, n))
    out["chest_tube"] = chest_tube
    out["chest_tube_side"] = np.where(
        chest_tube_for_ptx, out["pneumothorax_side"], np.where(chest_tube, other_side, "")
    ).astype(object)

    ett = has_devices & bedside & (rng.random(n) < 0.45)
    line = has_devices & (rng.random(n) < np.where(bedside, 0.55, 0.15))
    pacemaker = has_devices & (rng.random(n) < np.where(bedside, 0.12, 0.55) * np.clip(age / 70, 0.4, 1.4))
    # Every device-bearing study shows at least one device.
    nothing = has_devices & ~(chest_tube | ett | line | pacemaker)
    line |= nothing & bedside
    pacemaker |= nothing & ~bedside
    out["endotracheal_tube"] = ett
    out["ett_tip_cm"] = np.where(ett, np.clip(np.round(rng.normal(4.5, 1.3, n) * 2) / 2, 1.5, 8.0), 0.0)
    out["central_line"] = line
    types = rng.choice(
        np.array(list(CENTRAL_LINE_TYPES), dtype=object), size=n, p=list(CENTRAL_LINE_TYPES.values())
    )
    # Outpatients with a line have a PICC for long-term therapy.
    picc = np.where(rng.random(n) < 0.6, "right_picc", "left_picc")
    out["central_line_type"] = np.where(line, np.where(bedside, types, picc), "").astype(object)
    out["pacemaker"] = pacemaker
    out["pacemaker_leads"] = np.where(pacemaker, np.where(rng.random(n) < 0.7, 2, 1), 0)
    out["support_devices"] = chest_tube | ett | line | pacemaker
