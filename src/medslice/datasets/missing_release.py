"""What to tell a user whose raw-data path points nowhere."""

from __future__ import annotations

from pathlib import Path

from medslice.datasets.errors import CatalogDatasetError

HOW_TO_FIX = (
    "For the built-in synthetic data run `kedro run --pipeline=synthetic` first, in the same environment "
    "(`make demo` for the default one); for a real PhysioNet download set `raw.{key}` in "
    "conf/mimic/globals.yml and run with `--env=mimic` (docs/real-data.md), where the synthetic pipeline "
    "is refused."
)


def require_existing(path: Path, what: str, globals_key: str) -> None:
    """Refuse a raw-data path that does not exist, saying how to make or point to the data."""
    if not path.exists():
        raise CatalogDatasetError(f"{what} {path} does not exist. {HOW_TO_FIX.format(key=globals_key)}")
