# One command to set up and run the app, one to set up and run the tests.
# Both bootstrap .venv on first use from pyproject.toml and constraints.txt;
# `make run` installs only what the app needs, `make test` adds the test tools and the hall's Redis client.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APP_STAMP := $(VENV)/.installed-app
TEST_STAMP := $(VENV)/.installed-test
PIP := $(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt
# Four workers on the two cores these machines have: the Pilot tests and the soak wait on the screen's
# refresh more than they compute, so more workers than cores shorten the wall time (measured with 1,284 tests:
# pytest 3 m 04 s with four, 3 m 13 s with three).
WORKERS ?= 4
SOAK_ACTIONS ?= 2000

.PHONY: run test soak lint types screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(APP_STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(PIP) -e .
	touch $@

$(TEST_STAMP): $(APP_STAMP)
	$(PIP) -e '.[test,hall]'
	touch $@

run: $(APP_STAMP)
	$(BIN)/backprop-tui $(ARGS)

# Everything but the long soak, plus a short soak (200 actions per configuration), in parallel.
test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n $(WORKERS) $(PYTEST_ARGS)

# The long key soak alone: SOAK_ACTIONS actions per configuration (default 2,000).
soak: $(TEST_STAMP)
	SOAK_ACTIONS=$(SOAK_ACTIONS) $(BIN)/python -m pytest -q -n $(WORKERS) tests/soak $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

types: $(TEST_STAMP)
	$(BIN)/mypy

screenshots: $(TEST_STAMP)
	$(BIN)/python screenshots/make_screenshots.py

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/train_speed.py
	$(BIN)/python benchmarks/step_latency.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
