"""Session fixtures: the report inputs, built once."""

from __future__ import annotations

import pandas as pd
import pytest

from medslice.reporting import SliceCard

from .report_inputs import (
    build_cards,
    build_enrichment,
    build_montage,
    build_provenance,
    build_summary,
)


@pytest.fixture(scope="session")
def realistic_summary() -> pd.DataFrame:
    """A summary computed by medslice.evaluation from seeded per-bootstrap values."""
    return build_summary()


@pytest.fixture(scope="session")
def montage_png() -> bytes:
    """A real montage PNG drawn by medslice.explain from procedural phantoms."""
    return build_montage()


@pytest.fixture(scope="session")
def report_cards(realistic_summary: pd.DataFrame, montage_png: bytes) -> list[SliceCard]:
    """Three slice cards with real enrichment tables and montages."""
    return build_cards(realistic_summary, montage_png, build_enrichment())


@pytest.fixture(scope="session")
def provenance() -> dict[str, object]:
    """Run provenance with a fixed timestamp."""
    return build_provenance()
