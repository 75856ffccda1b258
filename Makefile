# partner-study: reproducible mixed-methods analysis of patient partnership.
# `make` alone lists the targets.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PARAMS ?= params/example.yaml
JOBS   ?=
# The installer, not part of the environment: uv, pinned here and kept in .venv/.uv (outside
# the environment's site-packages). Package versions come from requirements.lock alone.
# INSTALLER=pip skips uv; pip is also the fallback when uv cannot be obtained or fails.
INSTALLER  ?= uv
UV_VERSION := 0.13.8
UV_DIR     := $(VENV)/.uv
UV         := $(UV_DIR)/bin/uv
PIP        := $(BIN)/python -m pip --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: help install run test browser verify bench lab lint clean clean-all

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  make %-8s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(STAMP) ## create .venv from requirements.lock and install the package (idempotent)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "partner-study needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	@if [ "$(INSTALLER)" != pip ] && { [ "$$($(UV) --version 2>/dev/null | cut -d' ' -f2)" = "$(UV_VERSION)" ] \
	    || { rm -rf $(UV_DIR) && $(PIP) install --quiet --only-binary :all: --target $(UV_DIR) "uv==$(UV_VERSION)"; }; }; then \
	  echo "installing requirements.lock with uv $(UV_VERSION) ..."; \
	  $(UV) pip install --quiet --python $(BIN)/python --no-deps --compile-bytecode -r requirements.lock \
	    && $(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e . \
	    && exit 0; \
	  echo "uv could not install requirements.lock: installing with pip instead ..."; \
	elif [ "$(INSTALLER)" != pip ]; then \
	  echo "uv $(UV_VERSION) could not be obtained: installing requirements.lock with pip instead ..."; \
	else echo "installing requirements.lock with pip ..."; fi; \
	{ $(PIP) install --quiet --no-deps -r requirements.lock \
	  && $(PIP) install --quiet --no-deps --no-build-isolation -e . ; } \
	|| { echo "partner-study: requirements.lock and the package could not be installed (errors above)." \
	          "uv and pip need PyPI or a mirror (UV_DEFAULT_INDEX, PIP_INDEX_URL); then rerun make install." >&2; \
	     exit 1; }
	@touch $(STAMP)

run: install ## run the stages whose inputs changed (PARAMS=... another study, FORCE=1 every stage)
	$(BIN)/partner-study run $(PARAMS) $(if $(JOBS),--jobs $(JOBS)) $(if $(FORCE),--force)

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

lab: install ## JupyterLab on the notebooks, the project's interpreter (LAB_ARGS="--no-browser --port 8899")
	@echo "In JupyterLab a notebook writes to .lab/<study>/ (a scratch folder); 'make run' records the study's outputs."
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

lint: install ## ruff (lint + format check) and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

clean: ## remove generated files; keeps the committed reference run and .venv (clean-all: everything)
	@echo "removing generated files; the committed reference run (reports/example, data/processed/example) is kept as committed, and .venv"
	rm -rf $(filter-out reports/example/,$(wildcard reports/*/)) \
	       $(filter-out data/processed/example,$(wildcard data/processed/*)) \
	       reports/example/failed .staging .lab .pytest_cache bench/work
	@git checkout -- reports/example data/processed/example 2>/dev/null || true

clean-all: ## also remove the committed reference run ('git checkout -- reports data/processed' brings it back)
	rm -rf data/processed/*/ reports/*/ .staging .lab .pytest_cache bench/work
