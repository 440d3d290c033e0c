"""Parquet tables written with an explicit pyarrow schema, named in the catalog by import path."""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd
import pyarrow as pa

from medslice.datasets.atomic import ParquetDataset
from medslice.datasets.errors import CatalogDatasetError


def resolve_schema(dotted_path: str) -> pa.Schema:
    """Import ``package.module.NAME`` and check that it is a ``pyarrow.Schema``."""
    module_name, _, attribute = dotted_path.rpartition(".")
    try:
        schema = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as error:
        raise CatalogDatasetError(f"Cannot import the pyarrow schema '{dotted_path}': {error}") from error
    if not isinstance(schema, pa.Schema):
        raise CatalogDatasetError(f"'{dotted_path}' is a {type(schema).__name__}, not a pyarrow.Schema")
    return schema


class SchemaParquetDataset(ParquetDataset):
    """``pandas.ParquetDataset`` that writes exactly the columns and types of a declared schema.

    A frame with a column the schema does not know is refused rather than silently trimmed, and a missing
    column is refused by pyarrow, so the file on disk always has the documented schema.

    Example::

        cohort:
          type: medslice.datasets.SchemaParquetDataset
          schema: medslice.mimic.tables.COHORT_SCHEMA
          filepath: data/03_primary/cohort.parquet
          versioned: true
    """

    def __init__(self, *, schema: str, **kwargs: Any) -> None:
        """Create the dataset; ``schema`` is the import path of a ``pyarrow.Schema``."""
        kwargs["save_args"] = {"index": False, **(kwargs.get("save_args") or {})}
        super().__init__(**kwargs)
        self._schema_path = schema
        self._schema = resolve_schema(schema)
        # pandas forwards `schema` to pyarrow.Table.from_pandas, which then casts to exactly these types.
        self._save_args["schema"] = self._schema

    def save(self, data: pd.DataFrame) -> None:
        """Convert with the declared schema, then write."""
        extra = [c for c in data.columns if c not in self._schema.names]
        if extra:
            raise CatalogDatasetError(
                f"{self._schema_path} has no column(s) {extra}; add them to the schema or drop them first"
            )
        super().save(data)

    def _describe(self) -> dict[str, Any]:
        description = super()._describe()
        description["save_args"] = {**description["save_args"], "schema": self._schema_path}
        return description
