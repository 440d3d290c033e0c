"""Kedro pipelines: wiring only. The work happens in the library packages."""
