"""Custom Kedro datasets: the PhysioNet layouts and Parquet tables with explicit schemas.

Kedro is imported here and in ``pipelines/`` only; the library packages stay Kedro-free.
"""

from medslice.datasets.mimic_cxr_jpg import MimicCxrJpgDataset
from medslice.datasets.mimic_cxr_reports import MimicCxrReportsDataset
from medslice.datasets.schema_parquet import SchemaParquetDataset

__all__ = ["MimicCxrJpgDataset", "MimicCxrReportsDataset", "SchemaParquetDataset"]
