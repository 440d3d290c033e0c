"""SyntheticConfig: defaults, validation and mapping input."""

from __future__ import annotations

import pytest

from medslice.synth import SyntheticConfig, generate_release
from medslice.synth.config import DEFAULT_PREVALENCE


def test_defaults_keep_the_real_aspect_ratio() -> None:
    config = SyntheticConfig()
    assert (config.rows, config.columns) == (512, 426)
    assert (SyntheticConfig(full_resolution=True).rows, SyntheticConfig(full_resolution=True).columns) == (
        3056,
        2544,
    )
    assert SyntheticConfig(image_rows=300).columns == round(300 * 2544 / 3056)


def test_from_dict_accepts_label_names_and_completes_partial_mappings() -> None:
    config = SyntheticConfig.from_dict({"n_subjects": 5, "prevalence": {"Pleural Effusion": 0.5}})
    assert config.prevalence["pleural_effusion"] == 0.5
    assert config.prevalence["pneumothorax"] == DEFAULT_PREVALENCE["pneumothorax"]
    assert set(config.prevalence) == set(DEFAULT_PREVALENCE)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"n_subject": 3}, "unknown SyntheticConfig keys"),
        ({"n_subjects": 0}, "n_subjects"),
        ({"image_rows": 10}, "image_rows"),
        ({"prevalence": {"Pneumothoraxx": 0.1}}, "prevalence: unknown key"),
        ({"prevalence": {"pneumothorax": 1.5}}, "prevalence"),
        ({"portable_share": -0.1}, "portable_share"),
        ({"quirk_shares": {"typo": 0.1}}, "quirk_shares"),
        ({"split_fractions": {"test": 0.6}}, "split_fractions"),
        ({"test_set_opacity_name": "Opacity"}, "test_set_opacity_name"),
    ],
)
def test_invalid_values_are_refused_with_the_argument_named(mapping: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        SyntheticConfig.from_dict(mapping)


def test_generate_release_validates_its_arguments() -> None:
    with pytest.raises(TypeError, match="config"):
        generate_release(config=42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        generate_release({"n_subjects": 2}, seed=-1)


def test_prevalence_changes_the_rates() -> None:
    rare = generate_release({"n_subjects": 400, "prevalence": {"edema": 0.02}}, seed=1)
    common = generate_release({"n_subjects": 400, "prevalence": {"edema": 0.4}}, seed=1)
    rare_rate = rare.ground_truth.drop_duplicates("study_id")["edema"].mean()
    common_rate = common.ground_truth.drop_duplicates("study_id")["edema"].mean()
    assert rare_rate < 0.06
    assert common_rate > 0.25
