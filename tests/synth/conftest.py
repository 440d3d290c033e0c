"""Shared releases for the synth tests: generating tables is cheap, rendering is done sparingly."""

from __future__ import annotations

import pytest

from medslice.synth import SyntheticConfig, SyntheticRelease, generate_release


@pytest.fixture(scope="session")
def default_release() -> SyntheticRelease:
    """The default-size release (tables only are used: about 5,000 studies, 8,000 images)."""
    return generate_release(seed=0)


@pytest.fixture(scope="session")
def tiny_config() -> SyntheticConfig:
    """A release small enough to render every image in a test."""
    return SyntheticConfig(n_subjects=10, image_rows=96)


@pytest.fixture(scope="session")
def tiny_release(tiny_config: SyntheticConfig) -> SyntheticRelease:
    """A tiny release, seed 7."""
    return generate_release(tiny_config, seed=7)
