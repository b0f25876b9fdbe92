# The two commands of the README: `make run` and `make test`. Both create .venv if needed.
# `make test` runs the fast set (every test not marked slow); `make test-all`, or `make test`
# with CI=true (as .ci/run does), runs everything, the crash, daemon, browser and bench tests too.
PYTHON ?= python3
VENV   ?= .venv
CONFIG ?= config.toml
BIN     = $(VENV)/bin
FAST    = $(if $(filter true 1 yes,$(CI)),,-m "not slow")

.PHONY: run test test-all lint bench install clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "archiver needs Python 3.11+" or 0)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/archiver run --config $(CONFIG)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(FAST)

test-all: $(VENV)/.installed-test
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/poll.py
	$(BIN)/python bench/dedup.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/profile_poll.py
	$(BIN)/python bench/footprint.py
	$(BIN)/python bench/search.py --n 100000 --pg
	$(BIN)/python bench/pg.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
