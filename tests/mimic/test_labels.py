"""Uncertainty policies and the No Finding rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from medslice.mimic import schemas
from medslice.mimic.labels import apply_uncertainty_policy

NAN = np.nan


def _labels(rows: list[dict[str, float]], snake: bool = False) -> pd.DataFrame:
    names = [schemas.snake_label(n) if snake else n for n in schemas.LABEL_NAMES]
    rename = schemas.snake_label if snake else str
    frame = pd.DataFrame(
        [{name: NAN for name in names} | {rename(k): v for k, v in row.items()} for row in rows]
    )
    frame.insert(0, "study_id", range(50000000, 50000000 + len(rows)))
    return frame


ROWS = [
    {"Edema": -1.0, "No Finding": 1.0},  # uncertain finding
    {"Edema": 1.0, "Support Devices": 1.0, "No Finding": 1.0},  # positive finding
    {"Support Devices": 1.0, "Fracture": 0.0},  # only a device: still no finding
    {},  # nothing mentioned
]


@pytest.mark.parametrize(
    ("policy", "edema", "no_finding"),
    [
        ("u_zeros", [0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 1.0, 1.0]),
        ("u_ones", [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]),
        ("u_ignore", [NAN, 1.0, 0.0, 0.0], [NAN, 0.0, 1.0, 1.0]),
    ],
)
def test_policy_and_no_finding_rule(policy: str, edema: list[float], no_finding: list[float]) -> None:
    out = apply_uncertainty_policy(_labels(ROWS), policy)  # type: ignore[arg-type]
    np.testing.assert_array_equal(out["Edema"].to_numpy(), np.array(edema, dtype=np.float32))
    np.testing.assert_array_equal(out["No Finding"].to_numpy(), np.array(no_finding, dtype=np.float32))
    assert out["Edema"].dtype == np.float32
    assert out["study_id"].tolist() == _labels(ROWS)["study_id"].tolist()


def test_blank_value_is_configurable_and_snake_case_names_work() -> None:
    out = apply_uncertainty_policy(_labels(ROWS, snake=True), "u_zeros", blank_value=NAN)
    assert np.isnan(out["pneumonia"]).all()
    # Blank findings do not block No Finding even when they stay missing.
    assert out["no_finding"].tolist() == [1.0, 0.0, 1.0, 1.0]
    np.testing.assert_array_equal(out["support_devices"].to_numpy(), [NAN, 1.0, 1.0, NAN])


def test_unknown_policy_is_named() -> None:
    with pytest.raises(ValueError, match="u_maybe"):
        apply_uncertainty_policy(_labels(ROWS), "u_maybe")  # type: ignore[arg-type]


def test_values_outside_the_convention_are_refused() -> None:
    frame = _labels([{"Edema": 2.0}])
    with pytest.raises(ValueError, match="'Edema'"):
        apply_uncertainty_policy(frame, "u_ones")
