# Kelisim — `make run` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(shell command -v $(PYTHON))

.PHONY: setup run test gate bench lint index clean help

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

index: $(VENV)/.synced  ## Build the search index if it is missing or stale
	$(BIN)/kelisim kb build

setup: $(VENV)/.synced index  ## Install pinned dependencies and build the index

run: setup  ## Start the Telegram bot (token configured) or the terminal chat
	$(BIN)/kelisim run

test: $(VENV)/.synced  ## Run all tests (the index is built by the tests themselves)
	$(BIN)/pytest -q

XSTEST := evaluation/datasets/xstest/xstest_prompts.csv
gate: setup  ## Safety evaluation of the development set (and XSTest) through the release gate
	$(BIN)/kelisim eval run evaluation/datasets $(XSTEST) --out runs/gate

bench: setup  ## Speed benchmarks (figures and ratios against baselines)
	$(BIN)/python -m bot.benchmarks

lint: $(VENV)/.synced  ## ruff and mypy
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests
	$(BIN)/mypy

clean:  ## Remove the virtual environment and the local data directory
	rm -rf $(VENV) $(TOOLS) data
