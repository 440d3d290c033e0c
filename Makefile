# medslice: `make demo` runs the audit on the built-in synthetic dataset; `make test` runs the tests.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Offline by construction, telemetry off, and Kedro's logging config.
export HF_HUB_OFFLINE := 1
export DO_NOT_TRACK := 1
export KEDRO_LOGGING_CONFIG := $(CURDIR)/conf/logging.yml
export PYTHONHASHSEED := 0

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYNTHETIC_MARKER := data/01_raw/mimic-cxr-jpg/2.1.0/mimic-cxr-2.0.0-metadata.csv.gz

.PHONY: help setup synthetic demo test browser notebook lint format viz clean-data

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e ".[test]"
	touch $@

setup: $(VENV)/.installed  ## Create .venv and install medslice with its test extras

synthetic: setup  ## Generate the synthetic MIMIC-CXR-JPG release if it is absent
	@if [ -f $(SYNTHETIC_MARKER) ]; then \
		echo "Synthetic release already present ($(SYNTHETIC_MARKER))"; \
	else \
		$(BIN)/kedro run --pipeline=synthetic; \
	fi

demo: synthetic  ## Set up, generate the synthetic data if absent, then run the audit
	$(BIN)/kedro run --pipeline=audit

test: setup  ## Set up, then run the test suite
	$(BIN)/pytest

browser:  ## Optional: install Chromium (apt-get) for the browser tests, which skip without it
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then \
		echo "Chromium already installed: $$(command -v chromium || command -v chromium-browser)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y chromium; \
	else \
		echo "No apt-get here: install Chromium with your package manager (the browser tests skip without it)"; \
		exit 1; \
	fi

notebook: setup  ## Install JupyterLab (the `notebook` extra) and open notebooks/ with the project's kernel
	$(BIN)/pip install -e ".[notebook]"
	$(BIN)/kedro jupyter lab

lint: setup  ## ruff check and format check
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks

format: setup  ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

viz: setup  ## Serve the pipeline DAG with kedro-viz
	$(BIN)/kedro viz run

clean-data:  ## Delete every generated artifact under data/ (keeps .gitkeep and your user_predictions.csv)
	find data -mindepth 2 ! -name .gitkeep ! -path data/01_raw/user_predictions.csv -delete 2>/dev/null || true
	find data -mindepth 2 -type d -empty -delete 2>/dev/null || true
