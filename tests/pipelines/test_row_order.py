"""Nothing downstream of the predictions depends on the order in which rows or bootstraps arrive.

On a Dask cluster the per-bootstrap tables can come back in completion order. Every stage (fusion, slice
discovery, explanation, scoring) works on each bootstrap's rows sorted by ``dicom_id`` and on the
bootstraps in sorted order, and joins tables by key, never by position. These tests run the chain on a
small audit with a planted error cluster, in the pipeline's own order (bootstraps ascending, rows sorted by
``dicom_id``), then again with the tables shuffled:

(a) the rows of the predictions against the fused embeddings (and the slices),
(b) the rows of the slices (and the explanations) against the predictions,
(c) the order of the bootstraps in every table,
(d) all of it at once, each table shuffled on its own;

and require identical fused embeddings, slices, explanations and metrics, bit for bit.

Mutations these tests catch (each was reintroduced and seen to fail, then restored):

* ``evaluation/audit.py``, ``evaluate_slices``: ``truth = rows.set_index("dicom_id")`` without
  ``.reindex(part.index)`` scores one case's membership against another case's truth:
  ``test_metrics_do_not_depend_on_row_order[a]`` and ``[d]`` fail, as do
  ``test_the_whole_chain_does_not_depend_on_row_order`` and
  ``test_the_pipeline_nodes_do_not_depend_on_row_order``.
* ``slicing/per_bootstrap.py``, ``discover_per_bootstrap``: labels taken in the predictions' order
  (``predictions[predictions["bootstrap"] == bootstrap]``) rather than looked up for the fused rows fits
  the slicer on misaligned targets and predictions: ``test_slices_do_not_depend_on_row_order[a]`` and
  ``[d]`` fail, as do ``test_the_whole_chain_does_not_depend_on_row_order`` and
  ``test_the_pipeline_nodes_do_not_depend_on_row_order``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from medslice.evaluation.audit import baseline_metrics, evaluate_slices, ideal_error_slice_metrics
from medslice.evaluation.tables import summarize_metrics
from medslice.explain.audit import explain_slices
from medslice.explain.settings import ExplanationSettings
from medslice.pipelines.evaluation import nodes as evaluation_nodes
from medslice.pipelines.explanation import nodes as explanation_nodes
from medslice.pipelines.slice_discovery import nodes as slice_discovery_nodes
from medslice.runner.checkpoints import CheckpointStore
from medslice.slicing.per_bootstrap import discover_per_bootstrap, fuse_bootstraps
from medslice.slicing.settings import VariantSettings

SEED = 7
BOOTSTRAPS = (0, 1, 2)
ACCEPTED = {0: True, 1: True, 2: False}  # a draw without the planted failure is left out of the metrics
N_POOL, N_AUDIT, DIM = 150, 60, 16
SLICER = {
    "method": "domino",
    "n_slices": 3,
    "n_mixture_components": 6,
    "n_pca_components": 8,
    "max_iter": 30,
}
SYNONYMS = ("tube", "catheter")
WORDS = ("lungs", "clear", "heart", "size", "normal", "effusion", "opacity", "mild", "stable", "atelectasis")
PHRASES = ("chest tube", "clear lungs", "pleural effusion", "lateral view", "frontal view", "cardiomegaly")

# Nothing kept: every node computes, so the shuffles test the computation, not a reuse.
NO_STORE = CheckpointStore(None)


class Audit:
    """A pool of images with two embedding modalities, texts and attributes, and its audit draws.

    A quarter of the pool carries the attribute (a chest tube): its embeddings sit in a tight cluster and,
    within class 0, the classifier gets it wrong. Everything is a function of the seed.
    """

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        ids = np.array(sorted(f"{rng.integers(2**32):08x}-{i:04d}" for i in range(N_POOL)))
        attribute = rng.random(N_POOL) < 0.25
        self.ids = ids
        center = np.zeros(DIM)
        center[:3] = 3.0
        self.image = rng.normal(size=(N_POOL, DIM)).astype(np.float32)
        self.image[attribute] = (center + 0.3 * rng.normal(size=(attribute.sum(), DIM))).astype(np.float32)
        self.report = rng.normal(size=(N_POOL, DIM)).astype(np.float32)
        self.report[attribute] += np.float32(2.0)
        reports = [" ".join(rng.choice(WORDS, size=rng.integers(3, 8))) for _ in range(N_POOL)]
        reports = [
            f"chest tube in place, {text}" if a else text for a, text in zip(attribute, reports, strict=True)
        ]
        view = np.where(rng.random(N_POOL) < 0.3, "lateral", "frontal")
        self.texts = {
            "report": pd.Series(reports, index=ids),
            "metadata": pd.Series([f"{v} chest radiograph" for v in view], index=ids),
        }
        self.attributes = pd.DataFrame(
            {"view": view, "gender": rng.choice(["F", "M"], N_POOL), "tube": attribute}, index=ids
        )
        phrase_embeddings = rng.normal(size=(len(PHRASES), DIM))
        phrase_embeddings[0] = center / np.linalg.norm(center)  # "chest tube" points at the cluster
        self.phrase_bank = (
            list(PHRASES),
            phrase_embeddings / np.linalg.norm(phrase_embeddings, axis=1)[:, None],
        )

        frames = []
        for bootstrap in BOOTSTRAPS:
            # Audit sets are drawn in pool order, which is sorted by dicom_id: the pipeline's own order.
            chosen = np.sort(rng.choice(N_POOL, N_AUDIT, replace=False))
            target = rng.integers(0, 2, N_AUDIT)
            in_slice = attribute[chosen] & (target == 0)
            pred = np.where(rng.random(N_AUDIT) < 0.05, 1 - target, target)
            pred[in_slice] = 1
            frames.append(
                pd.DataFrame(
                    {
                        "dicom_id": ids[chosen],
                        "bootstrap": bootstrap,
                        "classifier": bootstrap // 2,
                        "target": target,
                        "prob": np.clip(pred * 0.8 + rng.random(N_AUDIT) * 0.2, 0, 1),
                        "pred": pred,
                        "in_slice": in_slice,
                        "attribute": attribute[chosen],
                        "accepted": ACCEPTED[bootstrap],
                    }
                )
            )
        self.predictions = pd.concat(frames, ignore_index=True)
        self._row = pd.Series(np.arange(N_POOL), index=ids)

    def rows(self, dicom_ids: pd.Series) -> np.ndarray:
        return self._row.loc[np.asarray(dicom_ids, dtype=str)].to_numpy()

    # The stages, each fed exactly what the pipeline feeds it.

    def fuse(self, predictions: pd.DataFrame) -> pa.Table:
        rows = self.rows(predictions["dicom_id"])  # modality matrices align with the predictions' rows
        matrices = {"image": self.image[rows], "report": self.report[rows]}
        return fuse_bootstraps(predictions.reset_index(drop=True), matrices, max_components=12, seed=SEED)

    def discover(self, fused: pa.Table, predictions: pd.DataFrame) -> pd.DataFrame:
        memberships, _ = discover_per_bootstrap(fused, predictions, SLICER, seed=SEED)
        return memberships

    def explain(self, slices: pd.DataFrame, predictions: pd.DataFrame) -> pd.DataFrame:
        rows = self.rows(slices["dicom_id"])  # the phrase space's embeddings align with the slices' rows
        unit = [m / np.linalg.norm(m, axis=1, keepdims=True) for m in (self.image[rows], self.report[rows])]
        return explain_slices(
            slices,
            predictions,
            self.attributes,
            self.texts,
            phrase_bank=self.phrase_bank,
            shared_space_embeddings=np.mean(unit, axis=0),
            top_k=5,
        )

    def metrics(
        self, slices: pd.DataFrame, predictions: pd.DataFrame, explanations: pd.DataFrame
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        scored = evaluate_slices(
            slices, predictions, explanations, scenario="tube", variant="image_report", synonyms=SYNONYMS
        )
        tables = [
            scored,
            baseline_metrics(predictions, scenario="tube"),
            ideal_error_slice_metrics(predictions, scenario="tube"),
        ]
        metrics = pd.concat(tables, ignore_index=True)
        return metrics, summarize_metrics(metrics, n_resamples=200, seed=SEED)


Shuffle = Callable[[pd.DataFrame, int], pd.DataFrame]


def within_bootstraps(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Each bootstrap's rows in a random order; the bootstraps stay in place."""
    rng = np.random.default_rng(seed)
    order = np.concatenate(
        [rng.permutation(i) for i in frame.groupby("bootstrap", sort=False).indices.values()]
    )
    return frame.iloc[order].reset_index(drop=True)


def bootstrap_order(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The bootstraps in a random order (never the sorted one); each keeps its rows' order."""
    blocks = list(frame.groupby("bootstrap", sort=True).indices.values())
    order = np.random.default_rng(seed).permutation(len(blocks))
    if (order == np.arange(len(blocks))).all():
        order = order[::-1]
    return frame.iloc[np.concatenate([blocks[i] for i in order])].reset_index(drop=True)


def everything(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """All rows in a random order, bootstraps interleaved."""
    return frame.iloc[np.random.default_rng(seed).permutation(len(frame))].reset_index(drop=True)


def keep(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    del seed
    return frame


def shuffle_table(table: pa.Table, shuffle: Shuffle, seed: int) -> pa.Table:
    """``shuffle`` applied to the rows of an Arrow table."""
    keys = table.select(["bootstrap"]).to_pandas()
    keys["position"] = np.arange(len(keys))
    return table.take(pa.array(shuffle(keys, seed)["position"].to_numpy()))


# (predictions, upstream table: fused or slices, explanations) per case.
CASES: dict[str, tuple[Shuffle, Shuffle, Shuffle]] = {
    "a": (within_bootstraps, keep, keep),
    "b": (keep, within_bootstraps, within_bootstraps),
    "c": (bootstrap_order, bootstrap_order, bootstrap_order),
    "d": (everything, everything, everything),
}


@pytest.fixture(scope="module")
def audit() -> Audit:
    return Audit()


@pytest.fixture(scope="module")
def reference(audit: Audit) -> dict[str, object]:
    """The chain on the pipeline's own order: bootstraps ascending, rows sorted by dicom_id."""
    fused = audit.fuse(audit.predictions)
    slices = audit.discover(fused, audit.predictions)
    explanations = audit.explain(slices, audit.predictions)
    metrics, summary = audit.metrics(slices, audit.predictions, explanations)
    return {
        "fused": fused,
        "slices": slices,
        "explanations": explanations,
        "metrics": metrics,
        "summary": summary,
    }


def by_key(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["bootstrap", "dicom_id"], kind="stable").reset_index(drop=True)


def test_the_reference_audit_finds_and_explains_the_planted_slice(reference: dict[str, object]) -> None:
    """The checks below mean something only if there are slices, explanations and metrics to compare."""
    metrics = reference["metrics"]
    assert set(metrics["method"]) == {"domino", "baseline", "ideal_error_slice"}
    scored = metrics[metrics["method"] == "domino"].set_index(["bootstrap", "metric"])["value"]
    assert sorted({b for b, _ in scored.index}) == [0, 1]  # bootstrap 2 is not accepted
    assert scored.xs("precision_at_10", level="metric").min() >= 0.7
    assert scored.xs("token_hit", level="metric").min() == 1.0
    explanations = reference["explanations"]
    assert set(explanations["kind"]) == {"token", "phrase", "attribute"}
    assert set(explanations["bootstrap"]) == set(BOOTSTRAPS)


@pytest.mark.parametrize("case", ["a", "c", "d"])
def test_fused_embeddings_do_not_depend_on_row_order(
    audit: Audit, reference: dict[str, object], case: str
) -> None:
    shuffle = CASES[case][0]
    fused = audit.fuse(shuffle(audit.predictions, 1))
    # Canonical order: bootstraps ascending, rows sorted by dicom_id, whatever order the predictions had.
    assert fused.equals(reference["fused"])


@pytest.mark.parametrize("case", list(CASES))
def test_slices_do_not_depend_on_row_order(audit: Audit, reference: dict[str, object], case: str) -> None:
    shuffle_predictions, shuffle_fused, _ = CASES[case]
    fused = shuffle_table(reference["fused"], shuffle_fused, 2)
    slices = audit.discover(fused, shuffle_predictions(audit.predictions, 3))
    pd.testing.assert_frame_equal(by_key(slices), reference["slices"], check_exact=True)
    pd.testing.assert_frame_equal(slices, reference["slices"], check_exact=True)  # canonical order


@pytest.mark.parametrize("case", list(CASES))
def test_explanations_do_not_depend_on_row_order(
    audit: Audit, reference: dict[str, object], case: str
) -> None:
    shuffle_predictions, shuffle_slices, _ = CASES[case]
    slices = shuffle_slices(reference["slices"], 4)
    explanations = audit.explain(slices, shuffle_predictions(audit.predictions, 5))
    pd.testing.assert_frame_equal(explanations, reference["explanations"], check_exact=True)


@pytest.mark.parametrize("case", list(CASES))
def test_metrics_do_not_depend_on_row_order(audit: Audit, reference: dict[str, object], case: str) -> None:
    shuffle_predictions, shuffle_slices, shuffle_explanations = CASES[case]
    metrics, summary = audit.metrics(
        shuffle_slices(reference["slices"], 6),
        shuffle_predictions(audit.predictions, 7),
        shuffle_explanations(reference["explanations"], 8),
    )
    pd.testing.assert_frame_equal(metrics, reference["metrics"], check_exact=True)
    pd.testing.assert_frame_equal(summary, reference["summary"], check_exact=True)


def test_the_whole_chain_does_not_depend_on_row_order(audit: Audit, reference: dict[str, object]) -> None:
    """Every table shuffled on its way to the next stage, as results arriving from workers would be."""
    predictions = everything(audit.predictions, 9)
    fused = audit.fuse(predictions)
    slices = audit.discover(shuffle_table(fused, everything, 10), everything(predictions, 11))
    explanations = audit.explain(everything(slices, 12), everything(predictions, 13))
    metrics, summary = audit.metrics(everything(slices, 14), predictions, everything(explanations, 15))
    keys = [("bootstrap", "ascending"), ("dicom_id", "ascending")]
    assert fused.sort_by(keys).equals(reference["fused"].sort_by(keys))
    pd.testing.assert_frame_equal(by_key(slices), by_key(reference["slices"]), check_exact=True)
    pd.testing.assert_frame_equal(explanations, reference["explanations"], check_exact=True)
    pd.testing.assert_frame_equal(metrics, reference["metrics"], check_exact=True)
    pd.testing.assert_frame_equal(summary, reference["summary"], check_exact=True)


def _embedding_table(key: str, ids: np.ndarray, matrix: np.ndarray) -> pa.Table:
    values = pa.array(matrix.astype(np.float32).ravel(), pa.float32())
    return pa.table(
        {key: pa.array(ids, pa.string()), "embedding": pa.FixedSizeListArray.from_arrays(values, DIM)}
    )


def _run_nodes(audit: Audit, predictions: pd.DataFrame, shuffle: Shuffle) -> dict[str, object]:
    """The pipeline's nodes from predictions to metrics, every table shuffled by ``shuffle`` on its way."""
    # One image per study: the report table is keyed by study_id and reaches images through the cohort.
    studies = np.array([f"s{i:04d}" for i in range(N_POOL)])
    cohort = pd.DataFrame(
        {
            "dicom_id": audit.ids,
            "study_id": studies,
            "report_findings": audit.texts["report"].to_numpy(),
            "report_impression": "",
            "metadata_sentence": audit.texts["metadata"].to_numpy(),
            "view": audit.attributes["view"].to_numpy(),
            "gender": audit.attributes["gender"].to_numpy(),
        }
    )
    tables = (
        _embedding_table("dicom_id", audit.ids, audit.image),
        _embedding_table("study_id", studies, audit.report),
        _embedding_table("dicom_id", audit.ids, audit.image[::-1]),  # metadata: not in the variant
    )
    phrases, phrase_embeddings = audit.phrase_bank
    bank = pa.table(
        {
            "phrase": pa.array(phrases, pa.string()),
            "embedding": pa.FixedSizeListArray.from_arrays(
                pa.array(phrase_embeddings.astype(np.float32).ravel()), DIM
            ),
        }
    )
    variant = VariantSettings(modalities=("image", "report"), max_components=12)
    evaluation = {"top_k": 5, "synonyms": {"tube": list(SYNONYMS)}}
    fused = slice_discovery_nodes.fuse_modalities(
        predictions, cohort, *tables, NO_STORE, variant, "audit_set", SEED
    )
    slices, _, _ = slice_discovery_nodes.discover_slices(
        shuffle_table(fused, shuffle, 20), shuffle(predictions, 21), NO_STORE, SLICER, SEED
    )
    explanations = explanation_nodes.explain_slices(
        shuffle(slices, 22),
        shuffle(predictions, 23),
        cohort,
        *tables,
        bank,
        NO_STORE,
        variant,
        ExplanationSettings(top_k=5),
    )
    scored = evaluation_nodes.evaluate_variant(
        shuffle(slices, 24),
        shuffle(predictions, 25),
        shuffle(explanations, 26),
        NO_STORE,
        evaluation,
        SLICER,
        scenario="tube",
        variant="image_report",
    )
    baseline = evaluation_nodes.evaluate_baseline(shuffle(predictions, 27), scenario="tube")
    metrics, summary = evaluation_nodes.combine_metrics(SEED, scored, baseline)
    return {
        "fused": fused,
        "slices": slices,
        "explanations": explanations,
        "metrics": metrics,
        "summary": summary,
    }


def test_the_pipeline_nodes_do_not_depend_on_row_order(audit: Audit) -> None:
    """The same through the Kedro nodes, which also align the phrase-space embeddings and texts by id."""
    expected = _run_nodes(audit, audit.predictions, keep)
    assert set(expected["explanations"]["kind"]) == {"token", "phrase", "attribute"}
    assert {"token_hit", "phrase_hit", "attribute_fraction"} <= set(expected["metrics"]["metric"])
    found = _run_nodes(audit, everything(audit.predictions, 28), everything)
    assert found["fused"].equals(expected["fused"])
    for name in ("slices", "explanations", "metrics", "summary"):
        pd.testing.assert_frame_equal(found[name], expected[name], check_exact=True, obj=name)
