"""How good is an encoder on chest X-rays: image->report retrieval and linear-probe AUROC."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from tqdm.auto import tqdm

from medslice.errors import BadValueError


def recall_at_k(image_emb: np.ndarray, text_emb: np.ndarray, k: int = 10) -> float:
    """Share of images whose own report (same row) ranks in the top ``k`` of all reports.

    Rank = number of reports strictly more similar than the paired one, so an identical report
    of another image (e.g. the lateral view of the same study) does not count against it.
    """
    similarity = image_emb @ text_emb.T
    paired = np.diag(similarity)
    ranks = (similarity > paired[:, None]).sum(axis=1)
    return float(np.mean(ranks < k))


def linear_probe_auroc(
    embeddings: np.ndarray, target: np.ndarray, n_folds: int = 5, seed: int = 0
) -> float | None:
    """Cross-validated AUROC of a logistic regression on frozen embeddings.

    Returns None when either class has fewer than ``n_folds`` examples (no valid folds).
    """
    target = np.asarray(target).astype(int)
    if min(np.sum(target == 0), np.sum(target == 1)) < n_folds:
        return None
    probe = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(probe, embeddings, target, cv=folds, method="decision_function")
    return float(roc_auc_score(target, scores))


def evaluate_encoder(
    image_emb: np.ndarray,
    text_emb: np.ndarray,
    labels: pd.DataFrame,
    *,
    k: int = 10,
    n_folds: int = 5,
    seed: int = 0,
) -> dict:
    """Retrieval recall@k (image -> own report) and per-label linear-probe AUROC.

    Parameters
    ----------
    image_emb : np.ndarray
        ``(N, D)`` image embeddings.
    text_emb : np.ndarray
        ``(N, D)`` report embeddings, row-paired with the images.
    labels : pd.DataFrame
        ``N`` rows; each column a binary label (0/1; missing values are left out of that
        label's probe), e.g. Support Devices, Cardiomegaly, lateral view.
    k : int, default=10
        Retrieval cut-off.
    n_folds : int, default=5
        Cross-validation folds of the probes.
    seed : int, default=0
        Fold shuffling seed.

    Returns
    -------
    dict
        JSON-ready dict: ``recall_at_k``, ``chance_recall_at_k`` (k/N), ``n``, ``k`` and
        ``auroc`` {label: value or None when a class is too rare}.
    """
    image_emb = np.asarray(image_emb, dtype=np.float32)
    text_emb = np.asarray(text_emb, dtype=np.float32)
    if image_emb.ndim != 2 or image_emb.shape != text_emb.shape:
        raise BadValueError(
            f"`image_emb` {image_emb.shape} and `text_emb` {text_emb.shape} must both be (N, D)"
        )
    if len(labels) != len(image_emb):
        raise BadValueError(f"`labels` has {len(labels)} rows, the embeddings {len(image_emb)}")
    if not (np.isfinite(image_emb).all() and np.isfinite(text_emb).all()):
        raise BadValueError("Embeddings contain NaN/inf (unreadable images?); drop those rows first")
    auroc: dict[str, float | None] = {}
    for column in tqdm(labels.columns, desc="linear probes", disable=len(labels.columns) < 2):
        values = pd.to_numeric(labels[column], errors="coerce")
        known = values.notna().to_numpy()
        auroc[str(column)] = linear_probe_auroc(
            image_emb[known], values[known].to_numpy(), n_folds=n_folds, seed=seed
        )
    n = len(image_emb)
    return {
        f"recall_at_{k}": recall_at_k(image_emb, text_emb, k),
        f"chance_recall_at_{k}": min(1.0, k / n),
        "n": n,
        "k": k,
        "auroc": auroc,
    }
