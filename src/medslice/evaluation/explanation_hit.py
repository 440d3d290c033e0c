"""Does an explanation name the planted attribute?"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from medslice.errors import BadTypeError, BadValueError

_WORD = re.compile(r"[a-z0-9]+")


def _singular(word: str) -> str:
    # A light plural rule ("tubes" -> "tube", "devices" -> "device"), applied to both sides alike.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _normalised_words(text: str) -> tuple[str, ...]:
    return tuple(_singular(word) for word in _WORD.findall(str(text).lower()))


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """Whether ``needle`` occurs as a contiguous run of whole words inside ``haystack``."""
    if not needle or len(needle) > len(haystack):
        return False
    return any(haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1))


def explanation_hit(tokens: Sequence[str], synonyms: Sequence[str], top_k: int = 5) -> bool:
    """Whether any of the first ``top_k`` tokens or phrases names the attribute.

    Matching is case-insensitive on whole words with a light plural rule: a token hits when a
    synonym equals it or occurs inside it as a sub-phrase ("chest tubes" hits "tube"). The reverse
    is not a hit: "chest" does not name "chest tube", so declare every single word that should
    count.
    """
    if isinstance(tokens, str) or isinstance(synonyms, str):
        raise BadTypeError("tokens and synonyms must be sequences of strings, not single strings.")
    if not synonyms:
        raise BadValueError("synonyms is empty; declare at least one word for the attribute.")
    synonym_words = [words for synonym in synonyms if (words := _normalised_words(synonym))]
    if isinstance(top_k, bool) or not isinstance(top_k, int | np.integer) or top_k < 1:
        raise BadValueError(f"top_k must be a positive integer, got {top_k!r}.")
    for token in list(tokens)[:top_k]:
        token_words = _normalised_words(token)
        for words in synonym_words:
            if _contains(token_words, words):
                return True
    return False
