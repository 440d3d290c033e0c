"""Custom Kedro datasets: the PhysioNet layouts, Arrow and schema-checked Parquet tables, model folders.

Kedro is imported here and in ``pipelines/`` only; the library packages stay Kedro-free.
"""

from medslice.datasets.arrow_parquet import ArrowParquetDataset
from medslice.datasets.atomic import (
    CSVDataset,
    JSONDataset,
    MatplotlibDataset,
    ParquetDataset,
    PickleDataset,
    TextDataset,
)
from medslice.datasets.checkpoint_store import CheckpointStoreDataset
from medslice.datasets.mimic_cxr_jpg import MimicCxrJpgDataset
from medslice.datasets.mimic_cxr_reports import MimicCxrReportsDataset
from medslice.datasets.model_folder import ModelFolderDataset
from medslice.datasets.schema_parquet import SchemaParquetDataset
from medslice.datasets.shard_folder import ShardFolderDataset

__all__ = [
    "ArrowParquetDataset",
    "CSVDataset",
    "JSONDataset",
    "MatplotlibDataset",
    "ParquetDataset",
    "PickleDataset",
    "TextDataset",
    "CheckpointStoreDataset",
    "MimicCxrJpgDataset",
    "MimicCxrReportsDataset",
    "ModelFolderDataset",
    "SchemaParquetDataset",
    "ShardFolderDataset",
]
