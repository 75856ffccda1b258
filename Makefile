# partner-study: reproducible mixed-methods analysis of patient partnership.
# `make` alone lists the targets.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/example.yaml
JOBS   ?=

.DEFAULT_GOAL := help
.PHONY: help install run test browser verify bench lab lint clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(STAMP) ## create .venv from requirements.lock and install the package (idempotent)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "partner-study needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: install ## run the whole pipeline on params/example.yaml (PARAMS=... for another study)
	$(BIN)/partner-study run $(PARAMS) $(if $(JOBS),--jobs $(JOBS))

test: install browser ## run the test suite (unit, reference values, simulations, notebooks)
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

browser: ## best effort: Debian's chromium for the report rendering test (skipped without it)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian package) for the report rendering test ..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
	      || echo "chromium could not be installed: the report rendering test will be skipped"; \
	  else echo "chromium not found and not installable here: the report rendering test will be skipped"; fi; }

verify: install ## rerun into a scratch folder and prove every output is byte-identical
	$(BIN)/partner-study verify $(PARAMS)

bench: install ## benchmark S, M and L study sizes (BENCH_SIZES=S,M to skip L)
	$(BIN)/python bench/run_bench.py

lab: install ## open JupyterLab on the notebooks with the project's interpreter
	$(BIN)/jupyter lab notebooks/

lint: install ## ruff (lint + format check) and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean: ## remove generated data and reports (keeps .venv)
	rm -rf data/processed reports/*/ .pytest_cache
