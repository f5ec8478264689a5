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

.PHONY: setup run test gate bench lint index clean help browser services

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at set-up (where PYTHONDONTWRITEBYTECODE is set, Python would
# otherwise compile every module again on each start: about 2 s before a first answer).
$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

index: $(VENV)/.synced  ## Build the search index if it is missing or stale
	@$(BIN)/python -m compileall -q bot
	$(BIN)/kelisim kb build

setup: $(VENV)/.synced index services  ## Install pinned dependencies (and PostgreSQL and Redis for their tests where it can) and build the index

run: setup  ## Start the Telegram bot (token configured) or the terminal chat
	$(BIN)/kelisim run

# Headless Chromium and its driver for the browser test of the evaluation report: installed
# from Debian's packages where this machine allows it (root, or sudo without a password).
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq chromium chromium-driver; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null && command -v apt-get >/dev/null; then \
		sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver; \
	else echo "The browser test needs Chromium: sudo apt-get install chromium chromium-driver"; fi

# PostgreSQL and Redis for the scale-out tests (which start their own throw-away servers on
# 127.0.0.1): installed from Debian's packages where this machine allows it.
services:
	@if { command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } \
		&& command -v redis-server >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq postgresql redis-server; \
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null && command -v apt-get >/dev/null; then \
		sudo apt-get update -qq && sudo apt-get install -y -qq postgresql redis-server; \
	else echo "The scale-out tests need PostgreSQL and Redis (they fail without them): sudo apt-get install postgresql redis-server"; fi

test: $(VENV)/.synced browser services  ## Run all tests (installs Chromium, PostgreSQL and Redis for their tests where it can)
	$(BIN)/pytest -q

XSTEST := evaluation/datasets/xstest/xstest_prompts.csv
EVAL_SETS := evaluation/datasets/safety/dev evaluation/datasets/safety/test evaluation/datasets/answers
gate: setup  ## The frozen test splits and XSTest through the release gate (the dev split beside them)
	$(BIN)/kelisim eval run $(EVAL_SETS) $(XSTEST) --out runs/gate
	$(BIN)/kelisim eval posts evaluation/datasets/posts/test --out runs/gate

bench: setup  ## Speed benchmarks (figures and ratios against baselines)
	$(BIN)/python -m bot.benchmarks

lint: $(VENV)/.synced  ## ruff and mypy
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests
	$(BIN)/mypy

clean:  ## Remove the virtual environment and the local data directory
	rm -rf $(VENV) $(TOOLS) data
