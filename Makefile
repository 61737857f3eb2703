# One command per task. Each creates or updates .venv itself, so a fresh machine
# with only Python needs nothing else: `make demo`, `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE ?= examples/support-copilot.yaml

.PHONY: demo test lint bench schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[pandas,spark]' pytest hypothesis ruff openpyxl \
		playwright httpx schemathesis mypy types-PyYAML
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/costline run $(EXAMPLE)

test: $(STAMP)
	$(BIN)/ruff check costline tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check costline tests benchmarks
	$(BIN)/ruff format --check costline tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_startup.py

schema: $(STAMP)
	$(BIN)/costline schema > scenario.schema.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
