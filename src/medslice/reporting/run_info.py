"""Which run a report comes from: a plain value that :class:`medslice.hooks.RunInfoHook` puts in the catalog.

Nodes never read the clock (reruns stay reproducible); the run's identity reaches the report as the
``run_info`` dataset instead.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_RECORDED = "not recorded"


@dataclass(frozen=True)
class RunInfo:
    """The run that builds a report, and the run whose results it shows.

    Attributes
    ----------
    run_id : str or None
        This run's id: Kedro's session id, which is also its save version (None outside a session).
    results_version : str or None
        The save version of the results shown (the load version of ``metrics_summary``):
        this run's in a whole audit, the pinned or newest earlier one when the report is rebuilt alone.
    kedro_version : str or None
        The Kedro that ran.
    env : str or None
        The configuration environment (``--env``), None for the default.
    """

    run_id: str | None = None
    results_version: str | None = None
    kedro_version: str | None = None
    env: str | None = None

    @property
    def rebuilt(self) -> bool:
        """Whether this run rebuilt the report from an earlier run's results."""
        return self.run_id is not None and self.results_version not in (None, self.run_id)

    @property
    def label(self) -> str:
        """The save version of the results shown, with the run that rebuilt the report when it is another."""
        if self.run_id is None:
            return NOT_RECORDED
        results = self.results_version or self.run_id
        return f"{results} (report rebuilt in run {self.run_id})" if self.rebuilt else results
