"""Kedro project settings for medslice."""

import os
import warnings

from kedro import KedroDeprecationWarning
from kedro.config import OmegaConfigLoader

from medslice.hooks import (
    CorruptVersionAdviceHook,
    DeclaredNamespacesHook,
    OneScreenErrorsHook,
    PreflightHook,
    ReportLocationHook,
    RunInfoHook,
)

# Offline by construction: a hub name must fail at once rather than hang for ~20 s (docs/reference.md §5).
# Set before anything imports huggingface_hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

# Kedro's own config loader calls OmegaConf.register_new_resolver, which the installed OmegaConf deprecates.
# The warning, up to four times a run, is about Kedro's code and nothing a user of medslice can act on.
warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated", category=UserWarning)
# The mission's command is `kedro run --pipeline=audit`; Kedro 1.x prefers `--pipelines` and warns on
# every run. Both spellings run the same pipeline (docs/user-guide.md): the note is noise on that command.
warnings.filterwarnings(
    "ignore", message=r"Option '--pipeline' is deprecated", category=KedroDeprecationWarning
)

# Independent of one another: the pre-run checks run in the order `medslice.pipelines.preflight.CHECKS`
# states, inside one hook.
HOOKS = (
    DeclaredNamespacesHook(),
    PreflightHook(),
    CorruptVersionAdviceHook(),
    OneScreenErrorsHook(),
    ReportLocationHook(),
    RunInfoHook(),
)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Environments (mimic, tiny, local) override single keys, not whole parameter blocks.
    "merge_strategy": {"parameters": "soft", "globals": "soft"},
}
