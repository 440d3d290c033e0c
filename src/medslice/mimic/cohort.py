"""Build the cohort (03_primary): one row per image with labels, report sections and demographics."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from medslice.errors import BadValueError
from medslice.mimic import schemas
from medslice.mimic.demographics import age_groups, insurance_groups, race_groups
from medslice.mimic.labels import UNCERTAIN_VALUE, apply_uncertainty_policy
from medslice.mimic.layout import report_relpath
from medslice.mimic.metadata_sentence import (
    exam_kinds,
    metadata_sentences,
    resolution_buckets,
    times_of_day,
)
from medslice.mimic.qa_buckets import count_bucket, id_bucket

_LOG = logging.getLogger(__name__)
# How many example studies the missing-report warning quotes.
_EXAMPLES = 3

DEFAULT_COHORT_PARAMS: dict[str, Any] = {
    "labeler": "chexpert",
    "uncertainty_policy": "u_zeros",
    "view_filter": "all",
    "one_image_per_study": False,
    "splits": list(schemas.SPLIT_VALUES),
    "report_sections": [
        "impression",
        "findings",
        "indication",
        "comparison",
        "history",
        "last_paragraph",
        "text",
    ],
}
VIEW_FILTERS: tuple[str, ...] = ("all", "frontal", "lateral")

# report_sections names -> reports-table column; the cohort column is "report_" + the name.
_SECTION_SOURCES: dict[str, str] = {
    "impression": "impression",
    "findings": "findings",
    "indication": "indication",
    "comparison": "comparison",
    "history": "history",
    "last_paragraph": "last_paragraph",
    "text": "full_text",
}
# one_image_per_study keeps the most informative view: PA, then AP, then other frontal, lateral...
_VIEW_PREFERENCE: dict[str, int] = {"PA": 0, "AP": 1, "LATERAL": 3, "LL": 4}
_STRING_COLUMNS: tuple[str, ...] = tuple(
    name
    for name in schemas.COHORT_COLUMNS
    if name
    not in {
        "subject_id",
        "study_id",
        "rows",
        "columns",
        "megapixels",
        "study_datetime",
        "has_report",
        "anchor_age",
        *schemas.LABEL_COLUMNS_SNAKE,
    }
)


def _section_name(name: str) -> str:
    """Accept ``impression`` or ``report_impression``, and ``full_text`` for ``text``."""
    short = name.removeprefix("report_")
    return "text" if short == "full_text" else short


def resolve_cohort_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Fill defaults into ``params`` and validate every value, naming the parameter at fault."""
    if params is not None and not isinstance(params, Mapping):
        raise BadValueError(f"cohort parameters must be a mapping, got {_shown(params)}")
    params = dict(params or {})
    unknown = sorted(str(key) for key in set(params) - set(DEFAULT_COHORT_PARAMS))
    if unknown:
        raise BadValueError(
            f"unknown cohort parameter(s) {unknown[:10]}; expected {sorted(DEFAULT_COHORT_PARAMS)}"
        )
    resolved = {**DEFAULT_COHORT_PARAMS, **params}
    # Membership tests below hash the value: a list or mapping where a name belongs must be refused first.
    for key in ("labeler", "uncertainty_policy", "view_filter"):
        if not isinstance(resolved[key], str):
            raise BadValueError(f"{key}={_shown(resolved[key])}; expected a name")
    if resolved["labeler"] not in ("chexpert", "negbio"):
        raise BadValueError(f"labeler={_shown(resolved['labeler'])}; expected 'chexpert' or 'negbio'")
    if resolved["uncertainty_policy"] not in UNCERTAIN_VALUE:
        raise BadValueError(
            f"uncertainty_policy={_shown(resolved['uncertainty_policy'])}; expected one of "
            f"{sorted(UNCERTAIN_VALUE)}"
        )
    if resolved["view_filter"] not in VIEW_FILTERS:
        raise BadValueError(
            f"view_filter={_shown(resolved['view_filter'])}; expected one of {list(VIEW_FILTERS)}"
        )
    if not isinstance(resolved["one_image_per_study"], bool):
        raise BadValueError(
            f"one_image_per_study={_shown(resolved['one_image_per_study'])}; expected true or false"
        )
    splits = _names("splits", resolved["splits"])
    bad_splits = [s for s in splits if s not in schemas.SPLIT_VALUES]
    if bad_splits or not splits:
        raise BadValueError(
            f"splits={_shown(splits)}; expected a non-empty subset of {list(schemas.SPLIT_VALUES)}"
        )
    resolved["splits"] = splits
    sections = [_section_name(s) for s in _names("report_sections", resolved["report_sections"])]
    bad_sections = [s for s in sections if s not in _SECTION_SOURCES]
    if bad_sections:
        raise BadValueError(
            f"report_sections has unknown section(s) {_shown(bad_sections)}; expected names from "
            f"{list(_SECTION_SOURCES)}"
        )
    resolved["report_sections"] = sections
    return resolved


def _names(key: str, value: object) -> list[str]:
    """A list of names from a YAML list (a lone string is not a list: its letters are not names)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise BadValueError(f"{key}={_shown(value)}; expected a list of names")
    if not all(isinstance(name, str) for name in value):
        raise BadValueError(f"{key}={_shown(value)}; expected a list of names (text)")
    return list(value)


def _shown(value: object, limit: int = 200) -> str:
    """``repr(value)``, cut to ``limit`` characters so that junk cannot fill an error message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _views(view_positions: pd.Series) -> pd.Series:
    """:func:`schemas.view_group` of every row, once per distinct value."""
    as_object = view_positions.astype(object).where(view_positions.notna(), None)
    mapping = {v: schemas.view_group(v) for v in pd.unique(as_object)}
    return as_object.map(mapping).astype(object)


def _one_per_study(frame: pd.DataFrame) -> np.ndarray:
    """Mask of the image kept per study: preferred view first, then the smallest dicom_id."""
    views = frame["view"].to_numpy()
    positions = frame["view_position"].astype(object).fillna("").to_numpy()
    rank = np.array([_VIEW_PREFERENCE.get(p, -1) for p in positions])
    # Unlisted views rank by group: other frontal 2, other lateral 5, unknown 6.
    fallback = np.select([views == "frontal", views == "lateral"], [2, 5], default=6)
    rank = np.where(rank >= 0, rank, fallback)
    order = pd.DataFrame(
        {
            "study_id": frame["study_id"].to_numpy(),
            "subject_id": frame["subject_id"].to_numpy(),
            "rank": rank,
            "dicom_id": frame["dicom_id"].astype(str).to_numpy(),
        },
        index=frame.index,
    ).sort_values(["subject_id", "study_id", "rank", "dicom_id"], kind="stable")
    kept = ~order.duplicated(["subject_id", "study_id"], keep="first")
    return kept.reindex(frame.index).to_numpy()


def _unique_on(frame: pd.DataFrame, keys: list[str], table: str) -> None:
    """Refuse a lookup table with repeated keys: a join would silently duplicate images."""
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        example = frame.loc[duplicated, keys].iloc[0].to_dict()
        raise BadValueError(f"{table}: key {keys} is not unique, e.g. {example}")


def _filter_images(images: pd.DataFrame, params: Mapping[str, Any]) -> tuple[pd.DataFrame, dict[str, dict]]:
    """Apply the split, view and one-image-per-study filters; return kept rows and the buckets."""
    frame = images.copy()
    frame["view"] = _views(frame["view_position"])
    excluded: dict[str, dict] = {}

    no_split = frame["split"].isna().to_numpy()
    excluded["no_split"] = id_bucket(frame.loc[no_split, "dicom_id"])
    frame = frame.loc[~no_split]

    outside = ~frame["split"].isin(params["splits"]).to_numpy()
    excluded["split_filter"] = count_bucket(outside.sum())
    frame = frame.loc[~outside]

    if params["view_filter"] == "all":
        other_view = np.zeros(len(frame), dtype=bool)
    else:
        other_view = (frame["view"] != params["view_filter"]).to_numpy()
    excluded["view_filter"] = count_bucket(other_view.sum())
    frame = frame.loc[~other_view]

    one_each = params["one_image_per_study"]
    kept = _one_per_study(frame) if one_each else np.ones(len(frame), dtype=bool)
    excluded["one_image_per_study"] = count_bucket((~kept).sum())
    return frame.loc[kept], excluded


def _filters_text(params: Mapping[str, Any]) -> str:
    """The filters as quoted in the empty-cohort error."""
    return (
        f"splits={params['splits']}, view_filter={params['view_filter']!r}, "
        f"one_image_per_study={params['one_image_per_study']}"
    )


def _warn_missing_reports(missing: pd.DataFrame, n_studies: int, n_images: int) -> None:
    """Warn about cohort studies without a report: every MIMIC-CXR study has one, so each is a gap.

    A deleted or never-extracted report file would otherwise only show up as empty ``report_*``
    columns, which read like a report without that section.
    """
    if missing.empty:
        return
    examples = [
        f"{study} ({report_relpath(subject, study)})"
        for subject, study in missing.head(_EXAMPLES).itertuples(index=False)
    ]
    _LOG.warning(
        "%d of %d cohort studies (%d images) have no report (counted in ingestion_qa under "
        "cohort.studies_without_report), e.g. study %s; their report_* columns are empty and "
        "has_report is False: restore the report files from mimic-cxr-reports.zip, or keep "
        "has_report == True where a report is needed",
        len(missing),
        n_studies,
        n_images,
        ", ".join(examples),
    )


def build_cohort(
    images: pd.DataFrame,
    reports: pd.DataFrame,
    labels: pd.DataFrame,
    patients: pd.DataFrame,
    params: Mapping[str, Any],
) -> tuple[pd.DataFrame, dict]:
    """Join the ingestion tables into the cohort: one row per image, :data:`schemas.COHORT_COLUMNS`.

    ``params`` (defaults in :data:`DEFAULT_COHORT_PARAMS`): ``labeler`` (chexpert|negbio),
    ``uncertainty_policy`` (u_zeros|u_ones|u_ignore), ``view_filter`` (all|frontal|lateral),
    ``one_image_per_study`` (keeps PA, else AP, else another view; ties by dicom_id), ``splits`` and
    ``report_sections`` (sections copied into ``report_*`` columns; the others are left ``""``).

    Images without a split, outside ``splits``, of the other view or beyond the first of their study
    are excluded and counted under ``excluded_images``. Labels join on (subject_id, study_id): a
    study without labels keeps NaN labels, a study without a report gets ``has_report`` False and
    empty sections; both are counted, as are subjects without demographics, and a study without a
    report is also logged as a warning (every MIMIC-CXR study has a report, so one missing is a gap
    in the files). An empty cohort after
    the filters is a ValueError quoting them.
    """
    params = resolve_cohort_params(params)
    frame, excluded = _filter_images(images, params)
    frame = frame.reset_index(drop=True)
    if frame.empty:
        counts = {name: bucket["count"] for name, bucket in excluded.items()}
        raise BadValueError(
            f"the cohort is empty after the filters {_filters_text(params)}: all {len(images)} "
            f"images were excluded ({counts})"
        )

    study_labels = labels.loc[labels["labeler"] == params["labeler"]].drop(columns="labeler")
    _unique_on(study_labels, ["subject_id", "study_id"], f"labels ({params['labeler']})")
    study_labels = apply_uncertainty_policy(study_labels, params["uncertainty_policy"])
    _unique_on(reports, ["subject_id", "study_id"], "reports")
    _unique_on(patients, ["subject_id"], "patients")

    keys = ["subject_id", "study_id"]
    with_labels = frame[keys].merge(study_labels.assign(_labelled=True), on=keys, how="left")
    with_report = frame[keys].merge(reports.assign(_report=True), on=keys, how="left")
    demographics = frame[["subject_id"]].merge(patients.assign(_patient=True), on="subject_id", how="left")
    has_labels = with_labels["_labelled"].notna().to_numpy()
    has_report = with_report["_report"].notna().to_numpy()
    has_patient = demographics["_patient"].notna().to_numpy()

    # Every piece below is indexed 0..n-1 in image order (left merges keep the left order), so
    # columns are assigned as Series: string columns stay Arrow-backed instead of round-tripping
    # through millions of Python str objects.
    columns: dict[str, pd.Series] = {
        name: frame[name]
        for name in ("dicom_id", "subject_id", "study_id", "split", "image_path", "view_position", "view")
    }
    columns["orientation"] = frame["orientation"]
    columns["procedure"] = frame["procedure"]
    columns["exam_kind"] = exam_kinds(frame["procedure"])
    columns["rows"] = frame["rows"].astype(np.int64)
    columns["columns"] = frame["columns"].astype(np.int64)
    columns["megapixels"] = columns["rows"] * columns["columns"] / 1e6
    columns["resolution"] = resolution_buckets(frame["rows"], frame["columns"])
    columns["study_datetime"] = pd.to_datetime(frame["study_datetime"]).astype("datetime64[ns]")
    columns["time_of_day"] = times_of_day(frame["study_datetime"])
    for name in schemas.LABEL_COLUMNS_SNAKE:
        columns[name] = with_labels[name].astype(np.float32)
    columns["has_report"] = pd.Series(has_report, index=frame.index)
    for name, source in _SECTION_SOURCES.items():
        if name in params["report_sections"]:
            columns[f"report_{name}"] = with_report[source].fillna("")
        else:
            columns[f"report_{name}"] = pd.Series("", index=frame.index, dtype="str")
    for name in ("gender", "race", "insurance", "language", "marital_status"):
        columns[name] = demographics[name]
    columns["anchor_age"] = pd.to_numeric(demographics["anchor_age"]).astype("Int64")
    columns["age_group"] = age_groups(demographics["anchor_age"])
    columns["race_group"] = race_groups(demographics["race"])
    columns["insurance_group"] = insurance_groups(demographics["insurance"])
    columns["metadata_sentence"] = metadata_sentences(frame)
    cohort = pd.DataFrame({name: columns[name] for name in schemas.COHORT_COLUMNS})
    for name in _STRING_COLUMNS:
        if cohort[name].dtype != "str":
            cohort[name] = cohort[name].astype("str")
    cohort = cohort[list(schemas.COHORT_COLUMNS)]

    studies = frame[keys].drop_duplicates()
    report_keys = reports[keys].drop_duplicates()
    studies_without_report = studies.merge(report_keys, on=keys, how="left", indicator=True)
    missing_report = studies_without_report.loc[studies_without_report["_merge"] == "left_only", keys]
    _warn_missing_reports(missing_report, len(studies), int((~has_report).sum()))
    label_keys = study_labels[keys]
    studies_without_labels = studies.merge(label_keys, on=keys, how="left", indicator=True)
    qa = {
        "cohort": {
            "input_images": len(images),
            "rows": len(cohort),
            "studies": len(studies),
            "subjects": int(frame["subject_id"].nunique()),
            "params": {k: v for k, v in params.items()},
            "excluded_images": excluded,
            "studies_with_report": len(studies) - len(missing_report),
            "studies_without_report": id_bucket(missing_report["study_id"]),
            "studies_without_labels": id_bucket(
                studies_without_labels.loc[studies_without_labels["_merge"] == "left_only", "study_id"]
            ),
            "images_without_report": int((~has_report).sum()),
            "images_without_labels": int((~has_labels).sum()),
            "subjects_without_demographics": count_bucket(frame.loc[~has_patient, "subject_id"].nunique()),
        }
    }
    _LOG.info(
        "cohort: %d images of %d studies (%d without report) after filters %s",
        len(cohort),
        len(studies),
        qa["cohort"]["studies_without_report"]["count"],
        _filters_text(params),
    )
    return cohort, qa
