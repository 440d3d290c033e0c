"""Batching texts cheaply: encode each distinct text once, in batches of similar length."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from medslice.errors import BadTypeError


def validated_texts(texts: Sequence[str], name: str = "texts") -> list[str]:
    """``texts`` as a list, raising TypeError naming the first element that is not a string."""
    texts = list(texts)
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise BadTypeError(f"`{name}[{position}]` must be a string, got {type(text).__name__}")
    return texts


def distinct_texts(texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts and, per input text, its row among them (``distinct[rows] == texts``).

    Reports repeat across the views of a study (and templated reports repeat outright), so
    encoding only distinct texts saves a large share of the text encoder's time.
    """
    if len(texts) == 0:
        return [], np.zeros(0, dtype=np.int64)
    unique, rows = np.unique(np.array(texts, dtype=object), return_inverse=True)
    return unique.tolist(), rows.reshape(-1).astype(np.int64)


def length_batches(texts: Sequence[str], batch_size: int) -> list[np.ndarray]:
    """Row indices of ``texts`` in batches of similar character length (less padding)."""
    order = np.argsort([len(t) for t in texts], kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
