"""What a pre-run check sees: the run's pipeline, catalog and parameters, and the project's folder."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kedro.io import DataCatalog
from kedro.pipeline import Pipeline


@dataclass(frozen=True)
class RunPlan:
    """A run about to start.

    Attributes
    ----------
    pipeline : Pipeline
        The nodes that will run.
    catalog : DataCatalog
        The run's catalog.
    run_params : Mapping[str, Any]
        Kedro's run parameters (``env``, ``runtime_params``, ...).
    project_path : Path or None
        The project's root folder.
    file_parameters : Mapping[str, Any] or None
        The environment's parameters as in its files (no ``--params``).
    """

    pipeline: Pipeline
    catalog: DataCatalog
    run_params: Mapping[str, Any] = field(default_factory=dict)
    project_path: Path | None = None
    file_parameters: Mapping[str, Any] | None = None

    def has_role(self, tag: str) -> bool:
        """Whether any node of the run carries ``tag``."""
        return any(tag in node.tags for node in self.pipeline.nodes)

    def tagged_outputs(self, tag: str) -> list[str]:
        """The outputs of the run's nodes that carry ``tag``."""
        return [name for node in self.pipeline.nodes if tag in node.tags for name in node.outputs]

    def load(self, name: str) -> Any:
        """A dataset of the catalog, or None when the catalog has no such name."""
        return self.catalog.load(name) if name in self.catalog else None

    def location(self, name: str) -> str:
        """`` (<path>)`` of a file dataset, or an empty string."""
        dataset = self.catalog.get(name) if name in self.catalog else None
        where = getattr(dataset, "location", None)
        return f" ({where()})" if callable(where) and where() else ""
