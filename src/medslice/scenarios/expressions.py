"""Safe evaluation of the small boolean/arithmetic expressions that scenarios are written in.

Scenario parameters come from YAML, so an expression such as
``"gender == 'F' and anchor_age >= 80"`` is data, not code. Expressions follow ``DataFrame.eval``
semantics but are first checked against an allowlist of syntax nodes: names of known columns,
literals, comparisons (including ``in``), boolean and arithmetic operators. Calls, attribute access,
subscripts, ``@`` local references and assignments are rejected before pandas ever sees the text.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

import numpy as np
import pandas as pd

from medslice.errors import BadValueError

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.Invert,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.BitAnd,
    ast.BitOr,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.List,
    ast.Tuple,
)


class ExpressionError(BadValueError):
    """An expression is syntactically invalid, uses forbidden syntax or names an unknown column."""


def expression_names(expression: str) -> frozenset[str]:
    """Validate ``expression`` against the allowlist and return the column names it references.

    Raises
    ------
    ExpressionError
        When the text is not a single expression, or uses anything beyond names,
        literals, comparisons and boolean/arithmetic operators.
    """
    if not isinstance(expression, str) or not expression.strip():
        raise ExpressionError("expression must be a non-empty string")
    if "@" in expression or "`" in expression:
        raise ExpressionError(f"{expression!r}: '@' local references and backtick names are not allowed")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"{expression!r} is not a valid expression: {error.msg}") from error
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(
                f"{expression!r} uses {type(node).__name__}, which scenario expressions forbid "
                "(only column names, literals, comparisons, and/or/not, & | ~ and + - * /)"
            )
        if isinstance(node, ast.Constant) and not isinstance(node.value, (str, int, float, bool)):
            raise ExpressionError(f"{expression!r} uses an unsupported literal {node.value!r}")
        if isinstance(node, ast.Name):
            names.add(node.id)
    return frozenset(names)


def check_expression(expression: str, allowed_names: Iterable[str]) -> frozenset[str]:
    """Validate ``expression`` and check that it only references ``allowed_names``.

    Returns the referenced names. Raises ``ExpressionError`` naming the unknown names otherwise.
    """
    names = expression_names(expression)
    allowed = set(allowed_names)
    unknown = sorted(names - allowed)
    if unknown:
        raise ExpressionError(
            f"{expression!r} references unknown column(s) {unknown}; "
            f"known columns include {sorted(allowed)[:12]}"
        )
    return names


def evaluate_expression(frame: pd.DataFrame, expression: str) -> pd.Series:
    """Evaluate an expression over ``frame`` with ``DataFrame.eval`` and an empty namespace.

    A bare column name returns that column. The result always has ``frame``'s index.
    """
    names = check_expression(expression, frame.columns)
    # Only the referenced columns are exposed, and no local or global Python names at all.
    view = frame.loc[:, sorted(names)] if names else frame.iloc[:, :0]
    result = view.eval(expression, engine="python", local_dict={}, global_dict={})
    if not isinstance(result, pd.Series):
        # A constant expression ("1") evaluates to a scalar: broadcast it so callers see one row
        # each.
        result = pd.Series(np.full(len(frame), result), index=frame.index)
    return result


def as_boolean_mask(values: pd.Series, *, what: str) -> pd.Series:
    """Coerce an evaluated expression to a plain ``bool`` series; missing values count as False.

    Numeric results must be 0/1 (or missing). ``what`` names the expression in error messages.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean").fillna(False).astype(bool)
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().sum() > values.isna().sum():
        raise ExpressionError(f"{what} must evaluate to booleans or 0/1 numbers, got {values.dtype}")
    present = numeric.dropna()
    bad = present[~present.isin([0, 1])]
    if len(bad):
        raise ExpressionError(
            f"{what} must evaluate to booleans or 0/1, got {bad.iloc[0]!r} at row {bad.index[0]!r}"
        )
    return numeric.fillna(0).astype(bool)
