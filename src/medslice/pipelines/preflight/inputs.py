"""Pre-run checks of the run's data: inputs that do not exist, and a synthetic release aimed elsewhere."""

from __future__ import annotations

from pathlib import Path

from medslice.datasets.missing_release import HOW_TO_FIX
from medslice.errors import MedsliceError
from medslice.pipelines.preflight.plan import RunPlan
from medslice.pipelines.tags import WRITES_SYNTHETIC_RELEASE

# How to provide the inputs a user supplies; anything else is made by an earlier run.
INPUT_HINTS: dict[str, str] = {
    "mimic_cxr_jpg": HOW_TO_FIX.format(key="mimic_cxr_jpg"),
    "mimic_cxr_reports": HOW_TO_FIX.format(key="mimic_cxr_reports"),
    "mimic_iv_patients": HOW_TO_FIX.format(key="mimic_iv_hosp"),
    "mimic_iv_admissions": HOW_TO_FIX.format(key="mimic_iv_hosp"),
    "user_predictions": "Write your classifier's predictions there (columns dicom_id, target, prob and "
    "optionally bootstrap); see docs/audit-your-model.md.",
}
MADE_BY_AN_EARLIER_RUN = (
    "It is made by an earlier stage: run that stage first (`kedro run --pipeline=audit` makes every one), "
    "or choose an existing version with `--load-versions`."
)


class MissingInputError(MedsliceError, RuntimeError):
    """A run's input does not exist; raised before any node runs."""


class SyntheticReleaseError(MedsliceError, RuntimeError):
    """The synthetic release would be written outside the project's data folder."""


def missing_inputs(plan: RunPlan) -> list[str]:
    """The pipeline's free inputs (parameters aside) that the catalog cannot load."""
    names = [n for n in sorted(plan.pipeline.inputs()) if n != "parameters" and not n.startswith("params:")]
    return [name for name in names if name in plan.catalog and not plan.catalog.exists(name)]


def _pinned_version_note(plan: RunPlan, name: str) -> str | None:
    """For a ``--load-versions`` pin that does not exist: say so and list the versions that do."""
    dataset = plan.catalog.get(name)
    pinned = dataset.pinned_version() if hasattr(dataset, "pinned_version") else None
    if pinned is None:
        return None
    root = dataset.versions_root()
    existing = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    shown = ", ".join(existing[-3:]) if existing else "none"
    return f"version {pinned} (--load-versions) does not exist; the newest versions are: {shown}."


def check_missing_inputs(plan: RunPlan) -> None:
    """Raise :class:`MissingInputError` naming each missing input, where it was sought and the fix."""
    missing = missing_inputs(plan)
    if not missing:
        return
    env = plan.run_params.get("env")
    earlier = MADE_BY_AN_EARLIER_RUN.replace(
        "--pipeline=audit`", f"--pipeline=audit --env={env}`" if env else "--pipeline=audit`"
    )
    lines, made_earlier = [], []
    for name in missing:
        hint = _pinned_version_note(plan, name) or INPUT_HINTS.get(name)
        if hint is None:  # said once below, however many of a skipped stage's outputs are missing
            made_earlier.append(f"- {name}{plan.location(name)}")
        else:
            lines.append(f"- {name}{plan.location(name)}: {hint}")
    if made_earlier:
        lines += [*made_earlier, f"  {earlier}"]
    raise MissingInputError("This run's inputs do not exist; nothing was run.\n" + "\n".join(lines))


def check_synthetic_release_location(plan: RunPlan) -> None:
    """Refuse to write the synthetic release anywhere but under the project's ``data/`` folder.

    Under ``--env=mimic`` the raw datasets point at the PhysioNet download: a synthetic run there would put
    fake images and reports where real ones are expected (the overwrite check only protects a release
    that already exists).
    """
    if plan.project_path is None:
        return
    data_root = (plan.project_path / "data").resolve()
    outside = [
        f"- {name}{plan.location(name)}"
        for name in plan.tagged_outputs(WRITES_SYNTHETIC_RELEASE)
        if name in plan.catalog and not _is_under(plan, name, data_root)
    ]
    if outside:
        raise SyntheticReleaseError(
            f"The synthetic release is written only under {data_root}; this environment points "
            "these outputs elsewhere (a real download's place?), so nothing was run:\n"
            + "\n".join(outside)
            + "\nRun `kedro run --pipeline=synthetic` without --env=mimic, or point "
            "conf/<env>/globals.yml at data/."
        )


def _is_under(plan: RunPlan, name: str, root: Path) -> bool:
    """Whether a dataset's file or folder lies under ``root`` (datasets without a location are in memory)."""
    location = getattr(plan.catalog.get(name), "location", None)
    return location is None or Path(location()).resolve().is_relative_to(root)
