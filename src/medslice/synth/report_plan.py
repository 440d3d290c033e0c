"""Per-study decisions about how a report is written: quirks, hedged findings and label noise."""

from __future__ import annotations

import numpy as np
import pandas as pd

from medslice.synth.clinical import SPURIOUS_CANDIDATES
from medslice.synth.config import FINDINGS, SyntheticConfig
from medslice.synth.reports import QUIRKS

# Mild findings are the ones radiologists hedge; this share of all positives are mild.
MILD_SHARE = 0.5


def plan_reports(rng: np.random.Generator, studies: pd.DataFrame, config: SyntheticConfig) -> pd.DataFrame:
    """Return ``report_quirk``, ``hedged`` (comma-separated findings) and ``label_noise`` per study.

    ``label_noise`` is ``"omitted:<finding>"`` (a present finding the report misses), ``"spurious:<finding>"``
    (an absent finding the report claims) or ``""``.
    """
    n = len(studies)
    shares = np.array([config.quirk_shares[q] for q in QUIRKS])
    quirk_index = rng.choice(len(QUIRKS) + 1, size=n, p=[*shares, 1.0 - shares.sum()])
    quirks = np.array([*QUIRKS, ""], dtype=object)[quirk_index]

    hedge_probability = min(1.0, config.hedge_share / MILD_SHARE)
    mild = np.stack([studies[f"{f}_severity"].to_numpy() == "mild" for f in FINDINGS], axis=1)
    hedge = mild & (rng.random(mild.shape) < hedge_probability)
    names = np.array(FINDINGS, dtype=object)
    hedged = [",".join(names[row]) for row in hedge]

    noisy = rng.random(n) < config.label_noise
    present = np.stack([studies[f].to_numpy(dtype=bool) for f in FINDINGS], axis=1)
    noise = np.full(n, "", dtype=object)
    for k in np.flatnonzero(noisy):
        candidates = names[present[k]]
        if len(candidates) and rng.random() < 0.6:
            noise[k] = f"omitted:{rng.choice(candidates)}"
        else:
            absent = [f for f in SPURIOUS_CANDIDATES if not present[k, FINDINGS.index(f)]]
            noise[k] = f"spurious:{rng.choice(absent)}" if absent else ""
    return pd.DataFrame({"report_quirk": quirks, "hedged": hedged, "label_noise": noise}, index=studies.index)
