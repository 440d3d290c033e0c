"""How numbers read in the report: two decimals, intervals, p-values, and an em dash for missing."""

from __future__ import annotations

import math
from numbers import Real

MISSING = "—"


def is_missing_number(value: object) -> bool:
    """True for None, NaN and anything that is not a real number."""
    if value is None or isinstance(value, bool) or not isinstance(value, Real):
        return True
    return math.isnan(float(value))


def format_number(value: object, digits: int = 2) -> str:
    """Format a number with ``digits`` decimals; infinity as ``∞``; missing values as ``—``."""
    if is_missing_number(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    return f"{number:.{digits}f}"


def format_signed(value: object, digits: int = 2) -> str:
    """Format a number with an explicit sign (``+0.31``), since a gap's direction matters."""
    if is_missing_number(value):
        return MISSING
    return f"{float(value):+.{digits}f}"  # type: ignore[arg-type]


ONE_RUN = "(one run)"


def format_interval(low: object, high: object, digits: int = 2, n: int | None = None) -> str:
    """Format a confidence interval as ``[0.70, 0.95]``, or ``—`` when either end is missing.

    An interval over ``n == 1`` run would be a point that looks like certainty: it reads ``(one run)``.
    """
    if n == 1:
        return ONE_RUN
    if is_missing_number(low) or is_missing_number(high):
        return MISSING
    return f"[{format_number(low, digits)}, {format_number(high, digits)}]"


def format_estimate(mean: object, low: object, high: object, digits: int = 2, n: int | None = None) -> str:
    """Format a mean and its interval as ``0.82 [0.70, 0.95]`` (``0.82 (one run)`` when ``n == 1``)."""
    if is_missing_number(mean):
        return MISSING
    interval = format_interval(low, high, digits, n)
    text = format_number(mean, digits)
    return text if interval == MISSING else f"{text} {interval}"


def format_p_value(value: object) -> str:
    """Format a p- or q-value: two decimals, or scientific notation below 0.01 so strength shows."""
    if is_missing_number(value):
        return MISSING
    number = float(value)  # type: ignore[arg-type]
    if number == 0:
        return "0"
    if number < 0.01:
        return f"{number:.1e}"
    return f"{number:.2f}"


METRIC_LABELS: dict[str, str] = {
    "paper_precision_at_10": "paper precision@10",
    "precision_at_10": "dcbench precision@10",
    "precision_at_25": "dcbench precision@25",
    "attribute_fraction": "attribute fraction",
    "average_precision": "average precision",
}


def humanize(name: str) -> str:
    """Turn an identifier such as ``spurious_correlation`` into ``spurious correlation``."""
    return name.replace("_", " ")


def metric_label(metric: str) -> str:
    """A reader's name for a metric: ``paper_precision_at_10`` -> ``paper precision@10``."""
    return METRIC_LABELS.get(metric, humanize(metric))
