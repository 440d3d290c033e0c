"""Nodes of the `synthetic` pipeline."""

from __future__ import annotations

from typing import Any

import pandas as pd

from medslice.synth import SyntheticRelease, generate_release


def generate_synthetic_release(
    synthetic: dict[str, Any], seed: int
) -> tuple[SyntheticRelease, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Generate the synthetic release and hand its parts to the raw datasets.

    Parameters
    ----------
    synthetic : dict[str, Any]
        The ``synthetic`` parameters (size, resolution, prevalences).
    seed : int
        The project seed.

    Returns
    -------
    tuple[SyntheticRelease, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]
        The release (tables and a renderer; ``mimic_cxr_jpg`` writes pixels while saving), the reports,
        the MIMIC-IV patients and admissions, and the hidden ground-truth table.
    """
    release = generate_release(synthetic, seed=seed)
    return release, release.reports, release.patients, release.admissions, release.ground_truth
