"""Refuse to combine the artifacts of different runs.

Every per-bootstrap artifact of a scenario (fused embeddings, slice memberships) holds exactly the audit rows
of its ``predictions``. A partial rerun that redraws the audit sets (``--nodes=<scenario>.inject_failures``
with another seed or bootstrap count) leaves the downstream artifacts describing the old rows; combining
them would score, explain or report slices against the wrong cases without any error.
"""

from __future__ import annotations

import pandas as pd

from medslice.errors import BadValueError

KEY = ["bootstrap", "dicom_id"]
_SHOWN = 3


class RunMismatchError(BadValueError):
    """Two artifacts that must come from one run hold different audit rows."""


def _keys(table: pd.DataFrame) -> pd.MultiIndex:
    frame = table[KEY].astype({"bootstrap": "int64", "dicom_id": str})
    return pd.MultiIndex.from_frame(frame)


def check_same_audit_rows(table: pd.DataFrame, predictions: pd.DataFrame, *, name: str, rerun: str) -> None:
    """Raise :class:`RunMismatchError` unless both tables hold the same (bootstrap, dicom_id) pairs.

    Parameters
    ----------
    table : pd.DataFrame
        An artifact with ``bootstrap`` and ``dicom_id`` columns, one row per audit case.
    predictions : pd.DataFrame
        The scenario's predictions it is combined with.
    name : str
        What ``table`` is, for the message (e.g. ``"slice membership"``).
    rerun : str
        The node to rerun from, with ``<scenario>.<variant>.`` left for the reader to fill in
        (e.g. ``"fuse_modalities"``).
    """
    mine, theirs = _keys(table), _keys(predictions)
    extra, missing = mine.difference(theirs), theirs.difference(mine)
    if not len(extra) and not len(missing):
        return
    parts = []
    if len(extra):
        shown = list(extra[:_SHOWN])
        parts.append(f"{len(extra)} {name} rows (bootstrap, dicom_id) have no prediction, e.g. {shown}")
    if len(missing):
        parts.append(f"{len(missing)} predictions have no {name} row, e.g. {list(missing[:_SHOWN])}")
    raise RunMismatchError(
        "; ".join(parts)
        + f": the {name} table and the predictions come from different runs (a partial rerun "
        f"redrew the audit sets?). Rerun from {rerun} for these predictions "
        f"(--from-nodes=<scenario>.<variant>.{rerun}, or the whole scenario with --namespaces=<scenario>), "
        "or pin matching versions with --load-versions."
    )
