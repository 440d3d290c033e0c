"""Candidate phrases for shared-space explanation, mined from reports with regexes only.

No NLP model or word list is downloaded: stop words are scikit-learn's built-in English list, and
noun-phrase-like chunks are found the RAKE way (runs of content words between stop words and
punctuation).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from medslice.errors import BadTypeError, BadValueError
from medslice.explain._masks import is_missing

# Phrases that describe acquisition rather than findings; they mirror the metadata sentence
# (docs/reference.md §3.5: exam kind, view, patient position, resolution, time of day).
METADATA_PHRASES: tuple[str, ...] = (
    "portable chest examination",
    "bedside chest examination",
    "line placement examination",
    "trauma chest examination",
    "pre-operative chest examination",
    "rib examination",
    "routine chest examination",
    "frontal view",
    "lateral view",
    "antero-posterior view",
    "postero-anterior view",
    "patient erect",
    "patient recumbent",
    "high-resolution image",
    "medium-resolution image",
    "low-resolution image",
    "examination in the morning",
    "examination in the afternoon",
    "examination in the evening",
    "examination at night",
)

# Negations carry meaning in radiology ("no pneumothorax"), so a phrase may start with one even
# though scikit-learn lists them as stop words.
NEGATION_WORDS: frozenset[str] = frozenset({"no", "not", "without"})
STOP_WORDS: frozenset[str] = frozenset(ENGLISH_STOP_WORDS)

# Words of two or more letters (hyphenated words stay whole), as in the TF-IDF token pattern.
_WORD = re.compile(r"[a-z][a-z\-]*[a-z]")
# Sentence and clause boundaries: a phrase never crosses one. Single line breaks are not boundaries
# because MIMIC reports wrap sentences at 79 characters; blank lines and the ___ of de-
# identification are.
_CLAUSE_BREAK = re.compile(r"[.;:,!?()\[\]]|\n\s*\n|_{2,}")
# Negated findings: "no pneumothorax", "without pleural effusion", "no evidence of edema".
_NEGATED_FINDING = re.compile(r"\b(no|without)\s+(?:evidence\s+of\s+)?([a-z][a-z\-]+(?:\s+[a-z][a-z\-]+)?)")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _clauses(text: str) -> list[list[str]]:
    return [words for clause in _CLAUSE_BREAK.split(text.lower()) if (words := _words(clause))]


def _is_acceptable(words: Sequence[str]) -> bool:
    """Reject stop-word-only phrases and phrases that dangle a stop word at either end."""
    if all(word in STOP_WORDS for word in words):
        return False
    if words[-1] in STOP_WORDS:
        return False
    return not (words[0] in STOP_WORDS and words[0] not in NEGATION_WORDS)


def _ngrams(words: Sequence[str], ngram_range: tuple[int, int]) -> set[str]:
    low, high = ngram_range
    found: set[str] = set()
    for size in range(low, high + 1):
        for start in range(len(words) - size + 1):
            gram = words[start : start + size]
            if _is_acceptable(gram):
                found.add(" ".join(gram))
    return found


def _content_chunks(words: Sequence[str], max_words: int) -> set[str]:
    """RAKE-style chunks: maximal runs of content words, the usual shape of a noun phrase."""
    chunks: set[str] = set()
    run: list[str] = []
    for word in [*words, ""]:
        if word and word not in STOP_WORDS:
            run.append(word)
            continue
        if 1 <= len(run) <= max_words:
            chunks.add(" ".join(run))
        run = []
    return chunks


def _negated_findings(text: str) -> set[str]:
    found = set()
    for negation, finding in _NEGATED_FINDING.findall(text.lower()):
        words = finding.split()
        # Keep the finding up to its first stop word ("no effusion is seen" -> "no effusion").
        kept = []
        for word in words:
            if word in STOP_WORDS:
                break
            kept.append(word)
        if kept:
            found.add(" ".join([negation, *kept]))
    return found


def document_phrases(text: str, ngram_range: tuple[int, int] = (1, 4)) -> set[str]:
    """Return the distinct candidate phrases of a document (n-grams, content chunks, negations)."""
    phrases: set[str] = set()
    for words in _clauses(text):
        phrases |= _ngrams(words, ngram_range)
        phrases |= _content_chunks(words, ngram_range[1])
    phrases |= _negated_findings(text)
    return phrases


def mine_phrases(
    corpus: Iterable[object],
    ngram_range: tuple[int, int] = (1, 4),
    min_df: int = 2,
    max_phrases: int | None = 2000,
) -> list[str]:
    """Return the frequent candidate phrases of a corpus.

    A phrase is kept when at least ``min_df`` documents contain it. The most frequent
    ``max_phrases`` are returned, by document frequency then alphabetically so the result is
    deterministic. Missing documents (None, NaN) are skipped.
    """
    low, high = ngram_range
    if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
        raise BadValueError(f"ngram_range must be (low, high) with 1 <= low <= high, got {ngram_range!r}.")
    if min_df < 1:
        raise BadValueError(f"min_df must be at least 1, got {min_df!r}.")
    document_frequency: Counter[str] = Counter()
    for index, text in enumerate(corpus):
        if is_missing(text):
            continue
        if not isinstance(text, str):
            raise BadTypeError(f"corpus[{index}] is {type(text).__name__}, expected a string.")
        document_frequency.update(document_phrases(text, ngram_range))
    frequent = [(phrase, count) for phrase, count in document_frequency.items() if count >= min_df]
    frequent.sort(key=lambda item: (-item[1], item[0]))
    if max_phrases is not None:
        frequent = frequent[:max_phrases]
    return [phrase for phrase, _ in frequent]
