"""The paper's three failure scenarios and two more, as ``failure_injection.yml`` holds them.

Sizes are the paper's (1000 training and about 300 audit cases; 500 + 500 for the rare slice). The
paper does not state the prevalences its correlation subsample keeps. The spurious correlation keeps
0.4 for both target and attribute: r = 0.7 then needs 328 co-occurring cases per 1000 (a balanced
0.5 / 0.5 needs 425, more than the synthetic release holds), and the shortcut is strong enough
(P(target | attribute) = 0.82) that the classifier takes it in most bootstraps; at 0.3 / 0.3 it
did less often. Smaller releases, such as the default synthetic one, use
``resize_scenario`` to scale a mapping down.
"""

from __future__ import annotations

import copy
from typing import Any

from medslice.scenarios.spec import ScenarioSpec, load_scenarios

_AUDIT = {"audit_slice_fractions": [0.05, 0.10, 0.20], "n_train": 1000, "n_audit": 300}

PAPER_SCENARIOS: dict[str, dict[str, Any]] = {
    "spurious_correlation": {
        "description": "Pneumothorax co-occurs with support devices (r = 0.7) in training; "
        "device-bearing negatives become false positives.",
        "target": "pneumothorax",
        "attribute": "support_devices == 1",
        "slice": "target == 0 and attribute",
        "mechanism": {
            "kind": "correlation",
            "correlation": 0.7,
            "target_prevalence": 0.4,
            "attribute_prevalence": 0.4,
        },
        **_AUDIT,
        "n_validate": 100,
    },
    "rare_slice": {
        "description": "Lateral cardiomegaly is 2% of training; lateral positives become false negatives.",
        "target": "cardiomegaly",
        "attribute": "view == 'lateral'",
        "slice": "target == 1 and attribute",
        "mechanism": {
            "kind": "rare",
            "n_positive": 500,
            "n_negative": 500,
            "attribute_positive_share": 0.02,
        },
        "audit_slice_fractions": [0.05, 0.10, 0.20],
        "n_audit": 300,
    },
    "noisy_label": {
        "description": "30% of frontal positive findings are labelled negative in training.",
        "target": "1 - no_finding",
        "attribute": "view == 'frontal'",
        "slice": "target == 1 and attribute",
        "mechanism": {"kind": "label_noise", "flip_fraction": 0.30},
        **_AUDIT,
    },
}

EXTRA_SCENARIOS: dict[str, dict[str, Any]] = {
    "elderly_women_rare": {
        "description": "Abnormal studies of women aged 80+ are 2% of training (a demographic rare "
        "slice); their findings become false negatives.",
        "target": "1 - no_finding",
        "attribute": "gender == 'F' and anchor_age >= 80",
        "slice": "target == 1 and attribute",
        "mechanism": {
            "kind": "rare",
            "n_positive": 500,
            "n_negative": 500,
            "attribute_positive_share": 0.02,
        },
        "audit_slice_fractions": [0.05, 0.10, 0.20],
        "n_audit": 300,
    },
    "portable_shortcut": {
        "description": "Pleural effusion co-occurs with portable AP exams (r = 0.7) in training: "
        "an acquisition shortcut; portable negatives become false positives.",
        "target": "pleural_effusion",
        "attribute": "exam_kind == 'portable'",
        "slice": "target == 0 and attribute",
        "mechanism": {
            "kind": "correlation",
            "correlation": 0.7,
            "target_prevalence": 0.3,
            "attribute_prevalence": 0.3,
        },
        **_AUDIT,
        "n_train": 600,
        "n_validate": 120,
    },
}

DEFAULT_SCENARIOS: dict[str, dict[str, Any]] = {**PAPER_SCENARIOS, **EXTRA_SCENARIOS}


def resize_scenario(mapping: dict[str, Any], n_train: int, n_validate: int | None = None) -> dict[str, Any]:
    """A copy of a scenario mapping with ``n_train`` training cases (rare counts scaled to match).

    ``n_validate`` defaults to a fifth of ``n_train``. Shares, correlations and flip fractions are
    unchanged, so the injected failure is the same, only drawn from fewer images.
    """
    resized = copy.deepcopy(mapping)
    mechanism = resized["mechanism"]
    if mechanism.get("kind") == "rare":
        total = mechanism["n_positive"] + mechanism["n_negative"]
        mechanism["n_positive"] = round(mechanism["n_positive"] * n_train / total)
        mechanism["n_negative"] = n_train - mechanism["n_positive"]
    resized["n_train"] = n_train
    resized["n_validate"] = n_train // 5 if n_validate is None else n_validate
    return resized


def default_scenarios(*, paper_only: bool = False) -> dict[str, ScenarioSpec]:
    """Validated specs of the default scenarios (only the paper's three with ``paper_only``)."""
    mappings = PAPER_SCENARIOS if paper_only else DEFAULT_SCENARIOS
    return load_scenarios(copy.deepcopy(mappings))
