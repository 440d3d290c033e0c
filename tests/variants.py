"""The seven modality variants conf/base declares, for tests that build tables by hand."""

from medslice.pipelines.declared import PROJECT_CONF, file_parameters

DECLARED_VARIANTS: tuple[str, ...] = tuple(
    file_parameters(str(PROJECT_CONF), "local")["slice_discovery"]["variants"]
)
