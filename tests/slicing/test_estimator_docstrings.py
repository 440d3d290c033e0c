"""The slicers' numpydoc docstrings: their Examples run, and every fitted attribute is documented."""

from __future__ import annotations

import doctest
import inspect
import re
import warnings

import numpy as np
import pytest

from medslice.slicing import DominoSlicer, ErrorClusterSlicer, SpotlightSlicer

ESTIMATORS = {
    DominoSlicer: {"n_slices": 2, "n_mixture_components": 4, "n_pca_components": 3, "random_state": 0},
    ErrorClusterSlicer: {"n_slices": 2, "n_pca_components": 3, "random_state": 0},
    SpotlightSlicer: {"n_slices": 2, "num_steps": 20, "spotlight_size": 0.1, "n_pca_components": 3},
}


def documented_sections(cls: type) -> dict[str, str]:
    """The class docstring's numpydoc sections, by title."""
    doc = inspect.cleandoc(cls.__doc__ or "")
    parts = re.split(r"^(\w[\w ]*)\n-{3,}\n", doc, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def documented_names(section: str) -> set[str]:
    """The entry names of a Parameters or Attributes section (unindented ``name : type`` lines)."""
    return {match.group(1) for match in re.finditer(r"^(\w+) : ", section, flags=re.MULTILINE)}


def small_audit(seed: int, *, with_errors: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    embeddings = rng.normal(size=(60, 5))
    targets = rng.integers(0, 2, 60)
    preds = targets.copy()
    if with_errors:
        planted = embeddings[:, 0] > 0.8
        preds[planted] = 1 - targets[planted]
    return embeddings, targets, preds


def fitted_attributes(estimator: object) -> set[str]:
    return {name for name in vars(estimator) if name.endswith("_") and not name.startswith("_")}


@pytest.mark.parametrize("cls", list(ESTIMATORS), ids=lambda cls: cls.__name__)
def test_examples_run(cls: type) -> None:
    module = inspect.getmodule(cls)
    finder = doctest.DocTestFinder()
    tests = [test for test in finder.find(cls, cls.__name__, module=module) if test.examples]
    assert any(test.name == cls.__name__ for test in tests), f"{cls.__name__} has no Examples"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


@pytest.mark.parametrize("cls", list(ESTIMATORS), ids=lambda cls: cls.__name__)
def test_sections(cls: type) -> None:
    sections = documented_sections(cls)
    for title in ("Parameters", "Attributes", "See Also", "Examples"):
        assert title in sections, f"{cls.__name__} lacks a {title} section"
    parameters = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert parameters <= documented_names(sections["Parameters"])
    for method in ("fit", "predict_proba", "predict"):
        doc = inspect.getdoc(getattr(cls, method)) or ""
        assert "Parameters\n----------" in doc and "Returns\n-------" in doc, f"{cls.__name__}.{method}"


@pytest.mark.parametrize("cls", list(ESTIMATORS), ids=lambda cls: cls.__name__)
def test_every_fitted_attribute_is_documented(cls: type) -> None:
    documented = documented_names(documented_sections(cls)["Attributes"])
    seen: set[str] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate fits and short EM runs warn by design
        for seed in (0, 1):
            seen |= fitted_attributes(cls(**ESTIMATORS[cls]).fit(*small_audit(seed)))
        # Nothing to slice: the degenerate path sets its attributes too.
        seen |= fitted_attributes(cls(**ESTIMATORS[cls]).fit(*small_audit(0, with_errors=False)))
    assert seen, f"{cls.__name__} set no fitted attribute"
    assert seen <= documented, f"{cls.__name__} undocumented: {sorted(seen - documented)}"
