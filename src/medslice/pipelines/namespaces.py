"""One helper that instantiates a stage's template pipeline per scenario, or per scenario and variant.

Names follow the catalog's dataset factories: ``{scenario}.predictions``, ``{scenario}.{variant}.slices``.
A template names its inputs plainly (``predictions``, ``slices``) and takes two special parameters:

- ``params:scenario``, bound to ``params:failure_injection.scenarios.<scenario>``;
- ``params:variant``, bound to ``params:slice_discovery.variants.<variant>``.

Every other parameter is shared by all namespaces. Inputs in ``shared_inputs`` (``cohort``) are never
prefixed, those in ``scenario_inputs`` (``predictions``) only with the scenario, and the rest with the
scenario and the variant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial, update_wrapper
from typing import Any

from kedro.pipeline import Pipeline

SCENARIO_PARAMETER = "params:scenario"
VARIANT_PARAMETER = "params:variant"


def _parameters(
    pipeline: Pipeline, scenario: str | None = None, variant: str | None = None
) -> dict[str, str]:
    """Every parameter of ``pipeline`` kept as it is, but the scenario's and the variant's own blocks."""
    mapping = {name: name for name in pipeline.inputs() if name.startswith("params:")}
    if variant is not None and VARIANT_PARAMETER in mapping:
        mapping[VARIANT_PARAMETER] = f"params:slice_discovery.variants.{variant}"
    if scenario is not None and SCENARIO_PARAMETER in mapping:
        mapping[SCENARIO_PARAMETER] = f"params:failure_injection.scenarios.{scenario}"
    return mapping


def per_scenario(
    template_of: Callable[[str], Pipeline], scenarios: Iterable[str], *, shared_inputs: Iterable[str] = ()
) -> Pipeline:
    """``template_of(scenario)`` in the namespace ``scenario``, for every scenario."""
    shared = set(shared_inputs)
    pipelines = []
    for scenario in scenarios:
        template = template_of(scenario)
        inputs = shared & template.inputs()
        parameters = _parameters(template, scenario=scenario)
        pipelines.append(Pipeline(template, namespace=scenario, inputs=inputs, parameters=parameters))
    return sum(pipelines, Pipeline([]))


def per_scenario_and_variant(
    template_of: Callable[[str, str], Pipeline],
    scenarios: Iterable[str],
    variants: Iterable[str],
    *,
    shared_inputs: Iterable[str] = (),
    scenario_inputs: Iterable[str] = (),
) -> Pipeline:
    """``template_of(scenario, variant)`` in the namespace ``scenario.variant``, for every pair."""
    shared, per_scenario_names, variants = set(shared_inputs), set(scenario_inputs), list(variants)

    def one_scenario(scenario: str) -> Pipeline:
        pipelines = []
        for variant in variants:
            template = template_of(scenario, variant)
            inputs = (shared | per_scenario_names) & template.inputs()
            parameters = _parameters(template, variant=variant)
            pipelines.append(Pipeline(template, namespace=variant, inputs=inputs, parameters=parameters))
        return sum(pipelines, Pipeline([]))

    return per_scenario(one_scenario, scenarios, shared_inputs=shared)


def bind(function: Callable[..., Any], **names: str) -> Callable[..., Any]:
    """``function`` with the namespace's names bound as keyword arguments (``scenario_name=...``).

    The wrapper keeps the function's name, docstring and annotations, so kedro-viz shows the function
    and Kedro still reads its type hints.
    """
    return update_wrapper(partial(function, **names), function)
